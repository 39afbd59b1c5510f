/**
 * Child process for temp-dir.test.ts: makes temporary directories with host/common/temp-dir.ts,
 * writes a key-like file in each, removes some itself, and ends as the plan says (argv[2], JSON).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { signalExitCode, watchSignals } from '../../host/cli/signals';
import { makeTempDir, removeTempDir } from '../../host/common/temp-dir';

interface Plan {
  n: number;
  remove: boolean[];
  /** A stop-signal handler of the process's own, installed before or after its dirs are made. */
  handler: 'none' | 'before' | 'after';
  end: 'exit' | 'throw' | 'return' | 'SIGINT' | 'SIGTERM';
}

const plan = JSON.parse(process.argv[2]) as Plan;
// A service that handles stop signals itself (runUntilSignal's pattern: the handlers come off at the
// first signal) decides how to exit.
const ownHandler = () => void watchSignals().signal.then((s) => process.exit(signalExitCode(s)));
if (plan.handler === 'before') ownHandler();
const dirs: string[] = [];
for (let i = 0; i < plan.n; i++) {
  const d = makeTempDir('hood-tdchild-');
  writeFileSync(join(d, 'mss-keys.json'), '{"secret":"' + i + '"}', { mode: 0o600 });
  dirs.push(d);
}
for (let i = 0; i < plan.n; i++) if (plan.remove[i]) removeTempDir(dirs[i]);
if (plan.handler === 'after') ownHandler();
process.stdout.write(JSON.stringify(dirs) + '\n');
if (plan.end === 'exit') process.exit(3);
if (plan.end === 'throw') throw new Error('child fails');
if (plan.end === 'SIGINT' || plan.end === 'SIGTERM') {
  // Wait for the parent's signal (bounded: the parent sends it as soon as it read the line above).
  setTimeout(() => process.exit(99), 60_000);
}
