/**
 * The built-in room composite template: joins the room named by the token in the query string, draws it in
 * the requested layout, plays every audio track and signals START_RECORDING / END_RECORDING on the console,
 * LiveKit's template contract. UpdateLayout arrives as the recorder's metadata `{"layout": "…"}`.
 */
import egressSdk from '@livekit/egress-sdk';
import {
  LogLevel,
  RemoteVideoTrack,
  Room,
  RoomEvent,
  Track,
  setLogLevel,
  type Participant,
  type RemoteParticipant,
  type RemoteTrack,
  type RemoteTrackPublication,
  type TrackPublication,
} from 'livekit-client';
import { parseLayout } from './layout.ts';
import { holdPlayout } from './playout.ts';
import { Stage } from './stage.ts';
import { hasFirstFrame, whenReadyToStart } from './start-signal.ts';

// The package is CommonJS: from an ES module its default import is `module.exports`, whose `default` is
// the helper (Node's interop, which both tsc and esbuild follow here).
const EgressHelper = egressSdk.default;

/** Video sources drawn as tiles (LiveKit's default template draws these three). */
const shownSources: ReadonlySet<Track.Source> = new Set([
  Track.Source.Camera,
  Track.Source.ScreenShare,
  Track.Source.Unknown,
]);

function isShownVideo(publication: TrackPublication): boolean {
  return publication.kind === Track.Kind.Video && shownSources.has(publication.source);
}

/** The recorder reads `div.error` and fails the egress with `template error: <text>`. */
function showError(message: string): void {
  console.error(message);
  const div = document.createElement('div');
  div.className = 'error';
  div.textContent = message;
  document.body.append(div);
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Identities of recent speakers, most recent first: the focus stays on the last one who spoke. */
function trackSpeakers(recent: string[], speaking: readonly Participant[]): void {
  for (const participant of [...speaking].reverse()) {
    const at = recent.indexOf(participant.identity);
    if (at !== -1) recent.splice(at, 1);
    recent.unshift(participant.identity);
  }
}

function wireRoom(room: Room, stage: Stage, audio: HTMLElement, rerender: () => void, speakers: string[]): void {
  room
    .on(RoomEvent.TrackSubscribed, (track: RemoteTrack, pub: RemoteTrackPublication, p: RemoteParticipant) => {
      holdPlayout(track.receiver);
      if (track.kind === Track.Kind.Audio) {
        audio.append(track.attach());
      } else if (isShownVideo(pub) && track instanceof RemoteVideoTrack) {
        stage.add({
          key: pub.trackSid,
          identity: p.identity,
          name: p.name !== undefined && p.name !== '' ? p.name : p.identity,
          screenShare: pub.source === Track.Source.ScreenShare,
          joinedAt: p.joinedAt?.getTime() ?? Date.now(),
          track,
        });
      }
      rerender();
    })
    .on(RoomEvent.TrackUnsubscribed, (track: RemoteTrack, pub: RemoteTrackPublication) => {
      if (track.kind === Track.Kind.Audio) for (const el of track.detach()) el.remove();
      else stage.remove(pub.trackSid);
      rerender();
    })
    .on(RoomEvent.TrackMuted, (pub: TrackPublication) => stage.setMuted(pub.trackSid, true))
    .on(RoomEvent.TrackUnmuted, (pub: TrackPublication) => stage.setMuted(pub.trackSid, false))
    .on(RoomEvent.ParticipantNameChanged, (name: string, p: Participant) => stage.rename(p.identity, name))
    .on(RoomEvent.ActiveSpeakersChanged, (speaking: Participant[]) => {
      trackSpeakers(speakers, speaking);
      rerender();
    })
    .on(RoomEvent.ParticipantDisconnected, (p: RemoteParticipant) => {
      const at = speakers.indexOf(p.identity);
      if (at !== -1) speakers.splice(at, 1);
      rerender();
    });
}

function pendingSubscriptions(room: Room): number {
  let pending = 0;
  for (const participant of room.remoteParticipants.values()) {
    for (const pub of participant.trackPublications.values()) {
      if (isShownVideo(pub) && !pub.isMuted && !pub.isSubscribed) pending += 1;
    }
  }
  return pending;
}

async function main(): Promise<void> {
  setLogLevel(LogLevel.warn);
  const root = document.getElementById('app');
  if (root === null) throw new Error('the page has no #app element');
  let url: string;
  let token: string;
  try {
    url = EgressHelper.getLiveKitURL();
    token = EgressHelper.getAccessToken();
  } catch (err) {
    showError(describe(err));
    return;
  }
  let layout = parseLayout(EgressHelper.getLayout());
  const stage = new Stage(root);
  const audio = document.createElement('div');
  audio.className = 'audio';
  document.body.append(audio);
  const speakers: string[] = [];
  const rerender = (): void => stage.render(layout, speakers);
  rerender();

  // Adaptive stream pauses the videos of tiles out of the page and picks simulcast layers by tile size.
  // Not in the background: a kiosk window on Xvfb may count as hidden, and the recording must go on.
  const room = new Room({ adaptiveStream: { pauseVideoInBackground: false }, dynacast: false });
  wireRoom(room, stage, audio, rerender, speakers);
  // Registered before setRoom: setRoom reads the current metadata at once and calls the callback.
  EgressHelper.onLayoutChanged((name) => {
    layout = parseLayout(name);
    rerender();
  });
  try {
    await room.connect(url, token, { autoSubscribe: true });
  } catch (err) {
    showError(`connection to room failed: ${describe(err)}`);
    return;
  }
  // Ends the recording (END_RECORDING) when the room is closed or the recorder is removed.
  EgressHelper.setRoom(room);
  const cancel = whenReadyToStart(
    (elapsedMs) => {
      const shown = stage.shownVideos();
      return {
        elapsedMs,
        pendingSubscriptions: pendingSubscriptions(room),
        shownVideos: shown.length,
        renderedVideos: shown.filter(hasFirstFrame).length,
      };
    },
    () => EgressHelper.startRecording(),
  );
  room.once(RoomEvent.Disconnected, cancel);
}

main().catch((err: unknown) => showError(`template failed: ${describe(err)}`));
