/**
 * Which secp256k1 library the mint uses: the fastest constant-time one that loads, in the order
 * libsecp256k1 (native, k·P by ecmult_const: native.ts), @noble/curves (pure JS). Falling back costs
 * speed, never security; each fallback is reported through `warn` (the bank logs it as
 * `curve_fallback`). tiny-secp256k1 (WebAssembly) is not in that order: its only k·P,
 * pointMultiply, is libsecp256k1's variable-time secp256k1_ec_pubkey_tweak_mul (a 2-bit scalar
 * runs in a fifth of the time of a random one), unfit for the mint's keys and nonces. It stays
 * loadable by name for the cross-checks and the bench. `HOOD_BANK_CURVE` names one constant-time
 * library explicitly; if that one does not load the bank refuses to start instead of choosing
 * another.
 * docs/bank.md, "The curve library", has the measurements behind the order.
 */
import { loadNativeCurve } from './native';
import { nobleCurve } from './noble';
import { loadTinyCurve } from './tiny';
import type { Curve, CurveName } from './types';

export type { Curve, CurveName } from './types';

export const CURVE_NAMES: readonly CurveName[] = ['libsecp256k1', 'tiny-secp256k1', 'noble'];

/** The libraries the mint may use, in order of preference: constant-time k·P only (see above). */
export const MINT_CURVES: readonly CurveName[] = ['libsecp256k1', 'noble'];

const loaders: Record<CurveName, () => Curve> = {
  libsecp256k1: loadNativeCurve,
  'tiny-secp256k1': loadTinyCurve,
  noble: () => nobleCurve,
};

const loaded: Partial<Record<CurveName, Curve>> = {};

/** Load one library by name; throws with the loader's reason when it is not available. */
export function loadCurve(name: CurveName): Curve {
  const have = loaded[name];
  if (have) return have;
  const c = loaders[name]();
  loaded[name] = c;
  return c;
}

/** Every library that loads here (for the cross-check test and the bench). */
export function availableCurves(): Curve[] {
  const out: Curve[] = [];
  for (const n of CURVE_NAMES) {
    try {
      out.push(loadCurve(n));
    } catch {
      // not installed or not loadable on this platform
    }
  }
  return out;
}

export interface CurveFallback {
  library: CurveName;
  reason: string;
}

/**
 * The first candidate whose loader succeeds; `warn` hears about each one skipped and why. Throws
 * only if none loads (the last candidate is noble, which always does).
 */
export function pickCurve(candidates: { name: CurveName; load: () => Curve }[], warn?: (f: CurveFallback) => void): Curve {
  for (const c of candidates) {
    try {
      return c.load();
    } catch (e) {
      if (warn) warn({ library: c.name, reason: String((e as Error).message || e).split('\n')[0] });
    }
  }
  throw new Error('no secp256k1 library loads');
}

let chosen: { curve: Curve; fallbacks: CurveFallback[] } | null = null;

function isCurveName(x: string): x is CurveName {
  return (CURVE_NAMES as readonly string[]).indexOf(x) >= 0;
}

/**
 * The library the mint should use. `prefer` (or $HOOD_BANK_CURVE) forces one of MINT_CURVES;
 * otherwise the first of MINT_CURVES that loads. `warn` receives one line per library skipped.
 */
export function selectCurve(opts: { prefer?: string; warn?: (f: CurveFallback) => void } = {}): Curve {
  const prefer = opts.prefer ?? process.env.HOOD_BANK_CURVE;
  if (prefer) {
    if (!isCurveName(prefer)) throw new Error('unknown secp256k1 library ' + JSON.stringify(prefer) + '; one of ' + MINT_CURVES.join(', '));
    if (MINT_CURVES.indexOf(prefer) < 0) throw new Error('secp256k1 library ' + prefer + ' multiplies in variable time; the mint uses one of ' + MINT_CURVES.join(', '));
    return loadCurve(prefer);
  }
  if (!chosen) {
    const fallbacks: CurveFallback[] = [];
    const curve = pickCurve(
      MINT_CURVES.map((name) => ({ name, load: () => loadCurve(name) })),
      (f) => fallbacks.push(f),
    );
    chosen = { curve, fallbacks };
  }
  const warn = opts.warn;
  if (warn) for (const f of chosen.fallbacks) warn(f);
  return chosen.curve;
}
