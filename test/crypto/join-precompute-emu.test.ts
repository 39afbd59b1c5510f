/**
 * The precomputed JOIN key in the REAL firmware bundle on the emulated board with the real MSS:
 * after a session is wiped the idle PDA draws the next session's ephemeral secret, the next JOIN
 * carries exactly X25519(that secret, 9), and every session's JOIN has its own key.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../shared/src/bytes';
import { x25519Base } from '../../shared/src/crypto/x25519';
import { KIND_JOIN } from '../../shared/src/protocol/constants';
import { endSession, joinSession, pdaFor } from '../../host/demo/emu-session';
import { BUNDLE, startGateway } from '../helpers/gateway';

let g: Awaited<ReturnType<typeof startGateway>>;
beforeAll(async () => {
  g = await startGateway();
});
afterAll(async () => {
  await g.stop();
});

describe('JOIN ephemeral key precomputed while idle (emulated board, real bundle)', () => {
  it('is drawn after a wipe, used by the next JOIN only, and no JOIN key repeats', async () => {
    const joins: string[] = [];
    const core = g.gw.core;
    const handleUp = core.handleUp.bind(core);
    core.handleUp = (cell: unknown) => {
      const c = cell as Uint8Array;
      if (c[1] === KIND_JOIN) joins.push(toHex(c.subarray(2, 34)));
      return handleUp(cell);
    };
    // Every 32-byte draw from the board RNG, in order, with what the firmware was doing then.
    const draws: { phase: string; bytes: Uint8Array }[] = [];
    let phase = 'boot';
    const pda = pdaFor(g.gw, BUNDLE, {
      random: (n) => {
        const b = new Uint8Array(randomBytes(n));
        if (n === 32) draws.push({ phase, bytes: b.slice() });
        return b;
      },
    });
    try {
      const precomputed: string[] = [];
      // After boot, while idle: the first session's pair (one 32-byte draw, in a later turn).
      await expect.poll(() => draws.filter((d) => d.phase === 'boot').length, { timeout: 5000 }).toBe(1);
      const atBoot = toHex(x25519Base(draws[0].bytes));
      for (let s = 0; s < 3; s++) {
        phase = 'session' + s;
        await joinSession(pda);
        await endSession(pda);
        phase = 'idle' + s;
        // The idle draw happens in a later turn of the event loop after the wipe.
        await expect.poll(() => draws.filter((d) => d.phase === 'idle' + s).length, { timeout: 5000 }).toBe(1);
        precomputed.push(toHex(x25519Base(draws.filter((d) => d.phase === 'idle' + s)[0].bytes)));
      }
      expect(joins.length).toBe(3);
      // Session 0 sent the key computed after boot, sessions 1 and 2 the one computed while idle before them.
      expect(joins[0]).toBe(atBoot);
      expect(joins[1]).toBe(precomputed[0]);
      expect(joins[2]).toBe(precomputed[1]);
      // The key made after the last session waits for the next one: it was never sent.
      expect(joins).not.toContain(precomputed[2]);
      expect(new Set(joins).size).toBe(3);
      // No session draws an ephemeral key of its own, the first after boot included (only K_BD: one 32-byte draw).
      for (let s = 0; s < 3; s++) expect(draws.filter((d) => d.phase === 'session' + s).length).toBe(1);
    } finally {
      core.handleUp = handleUp;
      pda.powerOff();
    }
  }, 60_000);
});
