import { describe, expect, it } from 'vitest';
import { arrange, gridShape, parseLayout, sameArrangement, type TileInfo } from './layout.ts';
import { shouldStart } from './start-signal.ts';

const tile = (identity: string, order: number, screenShare = false): TileInfo => ({
  key: `TR_${identity}${screenShare ? '_screen' : ''}`,
  identity,
  screenShare,
  order,
});
const keys = (tiles: readonly TileInfo[]): string[] => tiles.map((t) => t.key);

describe('parseLayout', () => {
  it.each([
    ['grid', 'grid', 'dark'],
    ['grid-light', 'grid', 'light'],
    ['grid-dark', 'grid', 'dark'],
    ['speaker', 'speaker', 'dark'],
    ['speaker-light', 'speaker', 'light'],
    ['single-speaker', 'single-speaker', 'dark'],
    ['single-speaker-light', 'single-speaker', 'light'],
    ['', 'grid', 'dark'],
    ['something-else', 'grid', 'dark'],
  ])('%s → %s, %s', (name, kind, theme) => {
    expect(parseLayout(name)).toEqual({ kind, theme });
  });
});

describe('arrange', () => {
  const alice = tile('alice', 0);
  const bob = tile('bob', 1);
  const carol = tile('carol', 2);
  const dave = tile('dave', 3);
  const erin = tile('erin', 4);

  it('puts every tile in a grid, in the order they came', () => {
    const got = arrange('grid', [carol, alice, bob], ['bob']);
    expect(got.view).toBe('grid');
    expect(keys(got.main)).toEqual(keys([alice, bob, carol]));
    expect(got.strip).toEqual([]);
  });

  it('orders publishers who joined in the same second by identity, a camera before a screen', () => {
    const screen = tile('alice', 0, true);
    const got = arrange('grid', [tile('bob', 0), screen, tile('alice', 0)], []);
    expect(keys(got.main)).toEqual(['TR_alice_screen']);
    expect(keys(got.strip)).toEqual(['TR_alice', 'TR_bob']);
    expect(keys(arrange('grid', [tile('bob', 0), tile('alice', 0)], []).main)).toEqual(['TR_alice', 'TR_bob']);
  });

  it('focuses the most recent speaker with a video, with up to three others beside', () => {
    const got = arrange('speaker', [alice, bob, carol, dave, erin], ['zed', 'dave', 'erin']);
    expect(keys(got.main)).toEqual(keys([dave]));
    expect(keys(got.strip)).toEqual(keys([erin, alice, bob]));
  });

  it('focuses the first tile when nobody has spoken, and shows nothing in an empty room', () => {
    expect(keys(arrange('speaker', [bob, alice], []).main)).toEqual(keys([alice]));
    expect(arrange('speaker', [], ['alice'])).toEqual({ view: 'speaker', main: [], strip: [] });
    expect(arrange('grid', [], [])).toEqual({ view: 'grid', main: [], strip: [] });
  });

  it('shows a screen share as the main view, even in the grid layout', () => {
    const screen = tile('bob', 5, true);
    for (const kind of ['grid', 'speaker'] as const) {
      const got = arrange(kind, [alice, bob, screen], ['alice']);
      expect(got.view).toBe('speaker');
      expect(keys(got.main)).toEqual(keys([screen]));
      expect(keys(got.strip)).toEqual(keys([alice, bob]));
    }
  });

  it('shows only the focused tile in single-speaker', () => {
    const got = arrange('single-speaker', [alice, bob], ['bob']);
    expect(got.view).toBe('single-speaker');
    expect(keys(got.main)).toEqual(keys([bob]));
    expect(got.strip).toEqual([]);
  });

  it('tells an unchanged arrangement from a changed one', () => {
    const a = arrange('speaker', [alice, bob], ['bob']);
    expect(sameArrangement(a, arrange('speaker', [bob, alice], ['bob']))).toBe(true);
    expect(sameArrangement(a, arrange('speaker', [alice, bob], ['alice']))).toBe(false);
    expect(sameArrangement(a, arrange('grid', [alice, bob], ['bob']))).toBe(false);
    expect(sameArrangement(undefined, a)).toBe(false);
  });
});

describe('gridShape', () => {
  it.each([
    [0, 1, 1],
    [1, 1, 1],
    [2, 2, 1],
    [3, 2, 2],
    [4, 2, 2],
    [5, 3, 2],
    [9, 3, 3],
    [10, 4, 3],
  ])('%i tiles → %i × %i', (count, columns, rows) => {
    expect(gridShape(count)).toEqual({ columns, rows });
  });
});

describe('shouldStart', () => {
  const state = { elapsedMs: 0, pendingSubscriptions: 0, shownVideos: 0, renderedVideos: 0 };

  it('starts once every shown video has a frame', () => {
    expect(shouldStart({ ...state, elapsedMs: 50, shownVideos: 2, renderedVideos: 1 })).toBe(false);
    expect(shouldStart({ ...state, elapsedMs: 50, shownVideos: 2, renderedVideos: 2 })).toBe(true);
  });

  it('waits for pending subscriptions, and starts an empty room after 500 ms', () => {
    expect(shouldStart({ ...state, elapsedMs: 900, pendingSubscriptions: 1 })).toBe(false);
    expect(shouldStart({ ...state, elapsedMs: 499 })).toBe(false);
    expect(shouldStart({ ...state, elapsedMs: 500 })).toBe(true);
  });

  it('starts after 3 s whatever is still loading', () => {
    expect(shouldStart({ ...state, elapsedMs: 3_000, pendingSubscriptions: 2, shownVideos: 1 })).toBe(true);
  });
});
