/**
 * A short flood against the real gateway and embedded broker (docs/protocol.md §7.6): 50 connections send
 * junk and valid JOINs as fast as the broker takes them while a legitimate PDA joins every second; every
 * legitimate join must get its ACCEPT, and the drops must show up where the caps are.
 */
import { describe, expect, it } from 'vitest';
import { benchFlood } from '../../host/bench/flood-bench';

describe('admission under load', () => {
  it('a legitimate PDA still joins while 50 connections flood the MSS', async () => {
    const r = await benchFlood({ seconds: 4, connections: 50 });
    console.log('flood: ' + JSON.stringify({ legitJoinMs: r.legitJoinMs, legitJoins: r.legitJoins, legitFailed: r.legitFailed, rssGrowthMiB: r.rssGrowthMiB, loadAverage: r.loadAverage }));
    expect(r.legitFailed).toBe(0);
    expect(r.legitJoins).toBeGreaterThanOrEqual(3);
    expect(r.legitJoinMs.max).toBeLessThan(10_000);
    // The flood was real, and the broker, not the flooders, set its pace.
    expect(r.floodCellsByKind.valid_join).toBeGreaterThan(1000);
    expect(r.floodSendersHeadroom).toBeGreaterThan(1);
    expect(r.rejected['broker.join_rate']).toBeGreaterThan(0);
    expect(r.rejected['mss.unknown_session']).toBeGreaterThan(0);
    // Bounded: JOINs opened no faster than the broker releases them, memory flat.
    expect(r.mss.joinsOpened).toBeLessThanOrEqual(Math.ceil(100 * (r.seconds + 2)) + 60);
    expect(r.rssGrowthMiB).toBeLessThan(200);
  }, 120_000);
});
