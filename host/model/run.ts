/**
 * `hood model`: the Promela model of the protocol checked by Spin, its mutants, and the conformance of
 * MssCore to it (docs/model.md). One report, the figures `--json` prints.
 */
import {
  CI_SIZE,
  FULL_SIZE,
  HANDOFF_MUTANTS,
  HANDOFF_PROPERTIES,
  LIVENESS_PROPERTIES,
  MUTANTS,
  SAFETY_PROPERTIES,
  handoffSafetyRun,
  livenessRun,
  mutantRuns,
  safetyRun,
  type ModelSize,
} from './checks';
import { conformance, type Mismatch } from './conformance';
import { modelWorkdir, removeWorkdir, runPan, type PanResult } from './spin';

export interface MutantReport {
  name: string;
  bug: string;
  caught: boolean;
  violation: string | null;
  /** Which search found it: 'dfs' or 'random -RS<seed>'. */
  search: string | null;
  /** The last steps of the counterexample (spin -t -p). */
  trail: string | null;
}

export interface ModelReport {
  errors: number;
  statesStored: number;
  depth: number;
  seconds: number;
  /** false: the safety search stopped at its memory bound (a bounded search, see docs/model.md). */
  complete: boolean;
  /** States of the hand-off model's exhaustive search. */
  handoffStates: number;
  properties: { name: string; verified: boolean }[];
  mutants: number;
  mutantsCaught: number;
  conformanceTraces: number;
  conformanceMismatches: number;
  seed: number;
  mutantDetails: MutantReport[];
  mismatchDetails: Mismatch[];
  conformanceDecisions: Record<string, number>;
  /** The safety violation, if any, with its counterexample. */
  violation: string | null;
  trail: string | null;
}

export interface ModelOptions {
  seed: number;
  traces: number;
  size?: 'ci' | 'full';
  onProgress?: (msg: string) => void;
}

export async function runModel(o: ModelOptions): Promise<ModelReport> {
  const size: ModelSize = o.size === 'full' ? FULL_SIZE : CI_SIZE;
  const say = o.onProgress ?? (() => {});
  const t0 = Date.now();
  // Conformance runs beside the searches: simulations and pan each use one core.
  say('conformance: ' + o.traces + ' traces against MssCore');
  const confDone = conformance({
    workdir: modelWorkdir,
    removeWorkdir,
    seed: o.seed,
    traces: o.traces,
    parallel: 1,
    onProgress: (n) => {
      if (n % 50 === 0) say('conformance: ' + n + '/' + o.traces);
    },
  });
  // Never left unobserved if a search throws first.
  confDone.catch(() => {});
  const dir = modelWorkdir();
  try {
    say('safety search (memory bound ' + size.memLimitMb + ' MB)');
    const safety = await runPan(dir, safetyRun(size));
    const properties = SAFETY_PROPERTIES.map((name) => ({ name, verified: safety.errors === 0 && !safety.timedOut }));
    let errors = safety.errors;
    let violation = safety.violation;
    let trail = safety.trail;
    for (const claim of LIVENESS_PROPERTIES) {
      say('liveness ' + claim + ' (weak fairness)');
      const l = await runPan(dir, livenessRun(claim, size));
      properties.push({ name: claim, verified: l.errors === 0 && !l.timedOut });
      errors += l.errors;
      if (l.errors && !violation) {
        violation = claim + ': ' + l.violation;
        trail = l.trail;
      }
    }
    say('hand-off model: exhaustive safety search');
    const handoff = await runPan(dir, handoffSafetyRun(size));
    for (const name of HANDOFF_PROPERTIES) properties.push({ name, verified: handoff.errors === 0 && handoff.complete && !handoff.timedOut });
    errors += handoff.errors;
    if (handoff.errors && !violation) {
      violation = 'hand-off: ' + handoff.violation;
      trail = handoff.trail;
    }
    const mutantDetails: MutantReport[] = [];
    for (const m of [...MUTANTS, ...HANDOFF_MUTANTS]) {
      say('mutant ' + m.name);
      let found: PanResult | null = null;
      let search: string | null = null;
      for (const run of mutantRuns(m, size, o.seed)) {
        const r = await runPan(dir, run);
        if (r.errors > 0) {
          found = r;
          const rs = run.args.find((a) => a.startsWith('-RS'));
          search = rs ? 'random ' + rs : 'dfs';
          break;
        }
      }
      mutantDetails.push({ name: m.name, bug: m.bug, caught: !!found, violation: found?.violation ?? null, search, trail: found?.trail ?? null });
    }
    const conf = await confDone;
    return {
      errors,
      statesStored: safety.statesStored,
      depth: safety.depth,
      seconds: Math.round((Date.now() - t0) / 100) / 10,
      complete: safety.complete,
      properties,
      mutants: MUTANTS.length + HANDOFF_MUTANTS.length,
      handoffStates: handoff.statesStored,
      mutantsCaught: mutantDetails.filter((m) => m.caught).length,
      conformanceTraces: conf.traces,
      conformanceMismatches: conf.mismatches.length,
      seed: o.seed,
      mutantDetails,
      mismatchDetails: conf.mismatches.slice(0, 20),
      conformanceDecisions: conf.decisions,
      violation,
      trail,
    };
  } finally {
    removeWorkdir(dir);
  }
}

/** The human summary. */
export function formatReport(r: ModelReport): string {
  const lines = [
    `safety: ${r.errors} errors, ${r.statesStored} states stored, depth ${r.depth}${r.complete ? '' : ' (bounded search)'}; hand-off model ${r.handoffStates} states (exhaustive)`,
    ...r.properties.map((p) => `  ${p.verified ? 'ok  ' : 'FAIL'} ${p.name}`),
    `mutants: ${r.mutantsCaught}/${r.mutants} caught`,
    ...r.mutantDetails.map((m) => `  ${m.caught ? 'caught' : 'MISSED'} ${m.name} (${m.bug})${m.caught ? ': ' + m.violation + ' [' + m.search + ']' : ''}`),
    `conformance: ${r.conformanceTraces} traces, ${r.conformanceMismatches} mismatches (seed ${r.seed})`,
    ...r.mismatchDetails.slice(0, 5).map((m) => `  seed ${m.seed} step ${m.step}: ${m.line} -> ${m.what}`),
    `${r.seconds} s`,
  ];
  if (r.violation) lines.push('violation: ' + r.violation, r.trail ?? '');
  return lines.join('\n');
}
