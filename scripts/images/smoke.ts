/**
 * Runs the image smoke runs and prints what they measured, one JSON document per run; exits 1 if any
 * expectation failed. `scripts/images/smoke.sh` is the way to call it.
 *
 *   tsx scripts/images/smoke.ts [forwarder|recorder]...   (default: both)
 */
import { forwarderProblems, runForwarderSmoke } from './forwarder-smoke.ts';
import { compositeProblems, runCompositeSmoke } from './recorder-composite-smoke.ts';
import { recorderProblems, runRecorderSmoke } from './recorder-smoke.ts';

const kinds = process.argv.slice(2);
const wanted = (kind: string): boolean => kinds.length === 0 || kinds.includes(kind);
const problems: string[] = [];

if (wanted('forwarder')) {
  for (const stopWith of ['StopEgress', 'SIGTERM'] as const) {
    const result = await runForwarderSmoke({ stopWith });
    console.log(JSON.stringify({ smoke: 'forwarder', ...result }, null, 2));
    problems.push(...forwarderProblems(result).map((p) => `forwarder (${stopWith}): ${p}`));
  }
}
if (wanted('recorder')) {
  for (const user of ['root', 'node'] as const) {
    const result = await runRecorderSmoke({ user });
    const { probe, ...figures } = result;
    const media = { durationS: probe?.durationS, video: probe?.video, audio: probe?.audio };
    console.log(JSON.stringify({ smoke: 'recorder', ...figures, media }, null, 2));
    problems.push(...recorderProblems(result).map((p) => `recorder: ${p}`));
  }
  const composite = await runCompositeSmoke();
  const { probe, ...figures } = composite;
  const media = { durationS: composite.durationS, video: probe?.video, audio: probe?.audio };
  console.log(JSON.stringify({ smoke: 'recorder room composite', ...figures, media }, null, 2));
  problems.push(...compositeProblems(composite).map((p) => `recorder (room composite): ${p}`));
}
for (const problem of problems) console.error(`[smoke] FAILED ${problem}`);
console.error(problems.length === 0 ? '[smoke] passed' : `[smoke] ${problems.length} problem(s)`);
process.exit(problems.length === 0 ? 0 : 1);
