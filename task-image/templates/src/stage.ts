import type { RemoteVideoTrack } from 'livekit-client';
import { arrange, gridShape, sameArrangement, type Arrangement, type LayoutChoice, type TileInfo } from './layout.ts';

interface Tile {
  readonly info: TileInfo;
  readonly track: RemoteVideoTrack;
  readonly element: HTMLDivElement;
  readonly video: HTMLVideoElement;
  readonly label: HTMLSpanElement;
  attached: boolean;
}

/** A video to show, as the room reports it. */
export interface VideoTile {
  readonly key: string;
  readonly identity: string;
  readonly name: string;
  readonly screenShare: boolean;
  /** When the publisher joined (epoch ms): the order tiles are shown in. */
  readonly joinedAt: number;
  readonly track: RemoteVideoTrack;
}

/**
 * The drawn page: one tile element per subscribed video, kept for the track's lifetime and moved between
 * the main area and the strip, so a re-render never re-attaches a track or restarts a decoder. Tiles not
 * in the current arrangement are taken out of the page; adaptive stream then pauses their video.
 */
export class Stage {
  private readonly tiles = new Map<string, Tile>();
  private readonly main: HTMLDivElement;
  private readonly strip: HTMLDivElement;
  private drawn: Arrangement | undefined;

  constructor(private readonly root: HTMLElement) {
    this.main = element('div', 'main');
    this.strip = element('div', 'strip');
    root.replaceChildren(this.main, this.strip);
  }

  /** Adds a tile for a newly subscribed video (a no-op if it is already shown). */
  add(tile: VideoTile): void {
    if (this.tiles.has(tile.key)) return;
    const el = element('div', 'tile');
    el.dataset['identity'] = tile.identity;
    el.dataset['source'] = tile.screenShare ? 'screen' : 'camera';
    const video = element('video', 'video');
    video.muted = true;
    video.autoplay = true;
    video.playsInline = true;
    const label = element('span', 'name');
    label.textContent = tile.name;
    el.append(video, label);
    const info: TileInfo = {
      key: tile.key,
      identity: tile.identity,
      screenShare: tile.screenShare,
      order: tile.joinedAt,
    };
    this.tiles.set(tile.key, { info, track: tile.track, element: el, video, label, attached: false });
    this.setMuted(tile.key, tile.track.isMuted);
  }

  /** Removes the tile of an unsubscribed video. */
  remove(key: string): void {
    const tile = this.tiles.get(key);
    if (tile === undefined) return;
    this.tiles.delete(key);
    if (tile.attached) tile.track.detach(tile.video);
    tile.element.remove();
  }

  /** Marks a tile's video muted: its picture is hidden and only the name is left on the tile. */
  setMuted(key: string, muted: boolean): void {
    const tile = this.tiles.get(key);
    if (tile === undefined) return;
    if (muted) tile.element.dataset['muted'] = '';
    else delete tile.element.dataset['muted'];
  }

  /** Updates the label of every tile of `identity`. */
  rename(identity: string, name: string): void {
    for (const tile of this.tiles.values()) {
      if (tile.info.identity === identity) tile.label.textContent = name;
    }
  }

  /** Draws the tiles for `layout`; `speakers` lists identities, most recent speaker first. */
  render(layout: LayoutChoice, speakers: readonly string[]): void {
    this.root.dataset['layout'] = layout.kind;
    this.root.dataset['theme'] = layout.theme;
    document.documentElement.dataset['theme'] = layout.theme;
    const next = arrange(
      layout.kind,
      [...this.tiles.values()].map((t) => t.info),
      speakers,
    );
    if (sameArrangement(this.drawn, next)) return;
    this.drawn = next;
    this.root.dataset['view'] = next.view;
    this.root.dataset['tiles'] = String(next.main.length + next.strip.length);
    const shape = gridShape(next.main.length);
    this.main.style.setProperty('--columns', String(shape.columns));
    this.main.style.setProperty('--rows', String(shape.rows));
    // Tiles leaving the page go first; a tile moving between the main area and the strip is moved in one
    // step (insertBefore on a connected node), so the browser never sees it removed and keeps it playing.
    const shown = new Set([...next.main, ...next.strip].map((info) => this.tiles.get(info.key)?.element));
    for (const container of [this.main, this.strip]) {
      for (const child of [...container.children]) {
        if (!shown.has(child as HTMLDivElement)) child.remove();
      }
    }
    this.place(this.main, next.main);
    this.place(this.strip, next.strip);
  }

  /** Videos drawn now whose picture is expected: shown and not muted. */
  shownVideos(): HTMLVideoElement[] {
    const shown = [...(this.drawn?.main ?? []), ...(this.drawn?.strip ?? [])];
    return shown
      .map((info) => this.tiles.get(info.key))
      .filter((t): t is Tile => t !== undefined && !t.track.isMuted)
      .map((t) => t.video);
  }

  private place(container: HTMLDivElement, infos: readonly TileInfo[]): void {
    let index = 0;
    for (const info of infos) {
      const tile = this.tiles.get(info.key);
      if (tile === undefined) continue;
      const at = container.children[index] ?? null;
      if (at !== tile.element) container.insertBefore(tile.element, at);
      index += 1;
      if (!tile.attached) {
        // Attached once it is in the page: adaptive stream would otherwise see it hidden and pause it.
        tile.track.attach(tile.video);
        tile.attached = true;
      }
      // A video that was out of the page was paused by the browser; start it again.
      if (tile.video.paused) tile.video.play().catch(() => undefined);
    }
  }
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, className: string): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  el.className = className;
  return el;
}
