/**
 * Names of one lab run. Every namespace of a run starts with the run's prefix
 * `hoodlab-<pid of the lab process>-<6 random hex>`, so parallel runs never collide, cleanup removes
 * only what its own run made, and `hood lab down` can find the leftovers of a run whose process died
 * (its pid no longer exists) without touching a live run's.
 */
import { randomBytes } from 'node:crypto';

export const LAB_NS_PREFIX = 'hoodlab-';
const PREFIX_RE = /^hoodlab-(\d{1,10})-([0-9a-f]{6})$/;

export function newRunPrefix(): string {
  return LAB_NS_PREFIX + process.pid + '-' + randomBytes(3).toString('hex');
}

export function isRunPrefix(s: string): boolean {
  return PREFIX_RE.test(s);
}

export function ownerPid(prefix: string): number | null {
  const m = PREFIX_RE.exec(prefix);
  return m ? Number(m[1]) : null;
}

/** The run prefix a namespace name belongs to, or null if it is not a lab namespace. */
export function prefixOf(nsName: string): string | null {
  const m = /^(hoodlab-\d{1,10}-[0-9a-f]{6})-[a-z0-9]{1,12}$/.exec(nsName);
  return m ? m[1] : null;
}

export interface RunNames {
  prefix: string;
  air: string;
  mss: string;
  pda(i: number): string;
}

export function runNames(prefix: string): RunNames {
  if (!isRunPrefix(prefix)) throw new Error('not a lab run prefix: ' + JSON.stringify(prefix));
  return { prefix, air: prefix + '-air', mss: prefix + '-mss', pda: (i) => prefix + '-pda' + i };
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
