/**
 * The layout rules of the built-in room composite templates, as pure functions of the tiles in the room:
 * which layout a name asks for, and which tiles go in the main area and which in the side strip.
 */

/** The three layouts LiveKit's default template has. */
export type LayoutKind = 'grid' | 'speaker' | 'single-speaker';
/** Background theme: `-light` suffix, otherwise dark. */
export type Theme = 'dark' | 'light';

/** A parsed layout name. */
export interface LayoutChoice {
  readonly kind: LayoutKind;
  readonly theme: Theme;
}

/** One subscribed video, shown as one tile. */
export interface TileInfo {
  /** Track sid: stable key of the tile. */
  readonly key: string;
  /** Identity of the publisher. */
  readonly identity: string;
  readonly screenShare: boolean;
  /** When the publisher joined (epoch ms): tiles are shown in join order, ties broken by identity. */
  readonly order: number;
}

/** Where each tile goes. `view` is what is drawn: grid becomes speaker when a screen is shared. */
export interface Arrangement {
  readonly view: LayoutKind;
  readonly main: readonly TileInfo[];
  readonly strip: readonly TileInfo[];
}

/** Tiles shown beside the focused one in the speaker layout, as in LiveKit's carousel. */
export const maxStripTiles = 3;

/**
 * Parses a layout name the way LiveKit's default template does: a `-light` or `-dark` suffix picks the
 * theme (dark by default); `single-speaker…` and `speaker…` pick those layouts; anything else is a grid.
 */
export function parseLayout(name: string): LayoutChoice {
  const lower = name.trim().toLowerCase();
  const theme: Theme = lower.endsWith('-light') ? 'light' : 'dark';
  const base = lower.replace(/-(light|dark)$/, '');
  if (base.startsWith('single-speaker')) return { kind: 'single-speaker', theme };
  if (base.startsWith('speaker')) return { kind: 'speaker', theme };
  return { kind: 'grid', theme };
}

/**
 * The tile to focus: a screen share if there is one, else the video of the most recent active speaker
 * that has one, else the first tile. `speakers` lists identities, most recent speaker first.
 */
export function focusTile(tiles: readonly TileInfo[], speakers: readonly string[]): TileInfo | undefined {
  const sorted = [...tiles].sort(byOrder);
  const screen = sorted.find((tile) => tile.screenShare);
  if (screen !== undefined) return screen;
  for (const identity of speakers) {
    const tile = sorted.find((t) => t.identity === identity);
    if (tile !== undefined) return tile;
  }
  return sorted[0];
}

/** Places the tiles for `kind`; `speakers` as for {@link focusTile}. */
export function arrange(kind: LayoutKind, tiles: readonly TileInfo[], speakers: readonly string[]): Arrangement {
  const sorted = [...tiles].sort(byOrder);
  const view: LayoutKind = kind === 'grid' && sorted.some((t) => t.screenShare) ? 'speaker' : kind;
  if (view === 'grid') return { view, main: sorted, strip: [] };
  const focus = focusTile(sorted, speakers);
  if (focus === undefined) return { view, main: [], strip: [] };
  if (view === 'single-speaker') return { view, main: [focus], strip: [] };
  // The strip prefers recent speakers, then keeps the room's order.
  const rank = (tile: TileInfo): number => {
    const index = speakers.indexOf(tile.identity);
    return index === -1 ? speakers.length : index;
  };
  const others = sorted.filter((t) => t !== focus).sort((a, b) => rank(a) - rank(b) || byOrder(a, b));
  return { view, main: [focus], strip: others.slice(0, maxStripTiles) };
}

/** Columns and rows of a grid of `count` equal tiles on a landscape page: as square as possible. */
export function gridShape(count: number): { readonly columns: number; readonly rows: number } {
  if (count <= 1) return { columns: 1, rows: 1 };
  const columns = Math.ceil(Math.sqrt(count));
  return { columns, rows: Math.ceil(count / columns) };
}

/** Whether two arrangements draw the same thing (lets a re-render be skipped). */
export function sameArrangement(a: Arrangement | undefined, b: Arrangement): boolean {
  if (a === undefined || a.view !== b.view) return false;
  const keys = (tiles: readonly TileInfo[]): string => tiles.map((t) => t.key).join(',');
  return keys(a.main) === keys(b.main) && keys(a.strip) === keys(b.strip);
}

function byOrder(a: TileInfo, b: TileInfo): number {
  return (
    a.order - b.order ||
    a.identity.localeCompare(b.identity) ||
    Number(a.screenShare) - Number(b.screenShare) ||
    a.key.localeCompare(b.key)
  );
}
