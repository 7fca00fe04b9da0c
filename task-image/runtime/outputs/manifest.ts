/** Track details the manifest records for track egress. */
export interface ManifestTrack {
  readonly publisherIdentity: string;
  readonly trackId: string;
  readonly trackKind: string;
  readonly trackSource: string;
}

/** The egress the manifest describes; times in Unix nanoseconds, as LiveKit's. */
export interface ManifestEgress {
  readonly egressId: string;
  readonly roomId: string;
  readonly roomName: string;
  readonly startedAt: bigint;
  readonly endedAt: bigint;
}

/**
 * LiveKit's egress manifest `<egress_id>.json`, written after every output finished: ids, times and where
 * each file went (empty fields omitted, as LiveKit does).
 */
/** The HLS and image entries of a composite egress's manifest. */
export interface ManifestMedia {
  readonly playlists?: readonly { location: string; segments: readonly { filename: string; location: string }[] }[];
  readonly images?: readonly { filename: string; timestamp: string; location: string }[];
}

export function buildManifest(
  egress: ManifestEgress,
  files: readonly { filename: string; location: string }[],
  track?: ManifestTrack,
  media: ManifestMedia = {},
): string {
  const manifest = {
    egress_id: egress.egressId,
    room_id: egress.roomId,
    room_name: egress.roomName,
    started_at: Number(egress.startedAt),
    ended_at: Number(egress.endedAt),
    publisher_identity: track?.publisherIdentity,
    track_id: track?.trackId,
    track_kind: track?.trackKind,
    track_source: track?.trackSource,
    files: files.map((f) => ({ filename: f.filename, location: f.location })),
    playlists: media.playlists,
    images: media.images,
  };
  const present = Object.entries(manifest).filter(
    ([, value]) => value !== undefined && value !== '' && value !== 0 && !(Array.isArray(value) && value.length === 0),
  );
  return `${JSON.stringify(Object.fromEntries(present), null, 2)}\n`;
}
