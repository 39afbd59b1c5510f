/**
 * Protocol scenarios shared by the emulated-board tests (test/board) and the hardware-in-loop suite
 * (test/hil): each takes a BoardLink to a board running the real firmware, plus what the test knows
 * about the board's air (for the anonymity checks).
 */
import { expect } from 'vitest';
import type { BoardLink } from '../../host/board/link';
import { ackLoads, boardTxState, loadProofsToBoard, resolveLoad, type BoardProof } from '../../host/board/wallet-load';
import type { PdaEvent } from '../../boards/espruino-common/framing';

export const testProof = (i: number, tag = 'p'): BoardProof => ({
  amount: 1 << (i % 10),
  id: '00ad268c4d1f5826',
  secret: tag + '-secret-' + i + '-' + 'x'.repeat(40),
  C: '02' + (i + 1).toString(16).padStart(64, '0'),
});

export async function balance(link: BoardLink): Promise<{ spendable: number; proofs: number }> {
  const e = (await link.command({ cmd: 'wallet.balance' })).find((x) => x.ev === 'wallet.balance')!;
  return { spendable: e.spendable, proofs: e.proofs };
}

export async function scenarioStatus(link: BoardLink): Promise<PdaEvent> {
  const r = await link.request({ cmd: 'status' });
  expect(r.ok).toBe(true);
  const s = r.events.find((e) => e.ev === 'status')!;
  expect(s).toBeTruthy();
  expect(typeof s.state).toBe('string');
  return s;
}

export async function scenarioBadCommands(link: BoardLink): Promise<void> {
  await expect(link.command({ cmd: 'no-such-command' })).rejects.toThrow(/unknown command/);
  await expect(link.command({ cmd: 'config', brokerPort: 70000 })).rejects.toThrow(/brokerPort/);
  await expect(link.command({ cmd: 'wallet.stage', tx: 'xyz', proofs: '[]' })).rejects.toThrow(/tx/);
  await expect(link.command({ cmd: 'wallet.stage', tx: '0123456789abcdef', proofs: '[{"amount":-1}]' })).rejects.toThrow(/amount/);
  await expect(link.command({ cmd: 'wallet.stage', tx: '0123456789abcdef', proofs: 'not json' })).rejects.toThrow(/JSON/);
  await expect(link.command({ cmd: 'wallet.commit', tx: 'fedcba9876543210', hash: '0'.repeat(64) })).rejects.toThrow(/not staged/);
  await expect(link.command({ cmd: 'wallet.ack', tx: 'nothex' })).rejects.toThrow(/tx/);
  await expect(link.command({ cmd: 'wallet.ack' })).rejects.toThrow(/tx/);
  for (const bad of ['02ab', ['02' + 'g'.repeat(64)], ['04' + 'a'.repeat(64)], ['02' + 'a'.repeat(65)], [1], new Array(65).fill('02' + 'a'.repeat(64))])
    await expect(link.command({ cmd: 'wallet.settle', spent: bad })).rejects.toThrow(/C/);
  await expect(link.command({ cmd: 'wallet.settle', unspent: { length: 1 } })).rejects.toThrow(/C/);
  // A well-formed verdict on coins the board does not hold changes nothing.
  const before = await balance(link);
  expect((await link.command({ cmd: 'wallet.settle', spent: ['02' + 'a'.repeat(64)], unspent: ['03' + 'b'.repeat(64)] })).find((e) => e.ev === 'wallet.settled')).toMatchObject({ dropped: 0, freed: 0 });
  expect(await balance(link)).toEqual(before);
  // The board is still fine afterwards.
  await scenarioStatus(link);
}

/** Coins arrive once, whatever is retried. */
export async function scenarioWalletLoad(link: BoardLink): Promise<void> {
  const before = await balance(link);
  const proofs = [0, 1, 2, 3, 4].map((i) => testProof(i, 'load'));
  const staged: string[] = [];
  const committed: string[] = [];
  const r = await loadProofsToBoard(link, proofs, { batch: 2, onStaged: (tx) => void staged.push(tx), onCommitted: (tx) => void committed.push(tx) });
  expect(r.confirmed).toEqual(proofs);
  expect(r.txs).toHaveLength(3);
  expect(staged).toEqual(r.txs);
  expect(committed).toEqual(r.txs);
  const sum = proofs.reduce((s, p) => s + p.amount, 0);
  expect(await balance(link)).toEqual({ spendable: before.spendable + sum, proofs: before.proofs + 5 });
  // A host that lost every answer and resends the same coins under new txs duplicates nothing.
  await loadProofsToBoard(link, proofs, { batch: 5 });
  expect(await balance(link)).toEqual({ spendable: before.spendable + sum, proofs: before.proofs + 5 });
  // A repeated commit of a done tx is confirmed again, and status says committed.
  expect(await resolveLoad(link, r.txs[0], proofs.slice(0, 2))).toBe('committed');
  // A tx the board never saw is unknown: the host keeps its coins.
  expect(await resolveLoad(link, '00000000000000aa', proofs.slice(0, 1))).toBe('unknown');
}

/** Cable pulled between stage and commit: the coins are in neither wallet's spendable set twice. */
export async function scenarioStagedThenResolved(link: BoardLink): Promise<void> {
  const before = await balance(link);
  const proofs = [7, 8].map((i) => testProof(i, 'pulled'));
  const json = JSON.stringify(proofs);
  const tx = '1111222233334444';
  const st = (await link.command({ cmd: 'wallet.stage', tx, proofs: json })).find((e) => e.ev === 'wallet.staged')!;
  expect(st.count).toBe(2);
  // ... cable pulled here: staged coins are not spendable on the board.
  expect(await balance(link)).toEqual(before);
  expect(await resolveLoad(link, tx, proofs)).toBe('committed');
  expect((await balance(link)).proofs).toBe(before.proofs + 2);
  // Stage + abort leaves nothing.
  const tx2 = '5555666677778888';
  await link.command({ cmd: 'wallet.stage', tx: tx2, proofs: JSON.stringify([testProof(9, 'aborted')]) });
  await link.command({ cmd: 'wallet.abort', tx: tx2 });
  expect((await link.command({ cmd: 'wallet.status', tx: tx2 })).find((e) => e.ev === 'wallet.txstatus')!.state).toBe('unknown');
  await expect(link.command({ cmd: 'wallet.abort', tx })).rejects.toThrow(/already committed/);
}

/**
 * The board's load log never forgets a commit the laptop has not acknowledged: once it holds 32 of
 * them, new loads are refused (nothing is staged) instead of evicting one; an acknowledged tx is
 * forgotten and its slot reused.
 */
export async function scenarioWalletLogFull(link: BoardLink): Promise<void> {
  const unacked = async () => (await link.command({ cmd: 'wallet.balance' })).find((x) => x.ev === 'wallet.balance')!.unacked as number;
  const txs: string[] = [];
  for (let i = 0; (await unacked()) < 32; i++) {
    const r = await loadProofsToBoard(link, [testProof(i, 'full')], { batch: 1 });
    txs.push(r.txs[0]);
    expect(i).toBeLessThan(32);
  }
  const before = await balance(link);
  await expect(loadProofsToBoard(link, [testProof(99, 'full')])).rejects.toThrow(/wallet log full/);
  expect(await balance(link)).toEqual(before);
  // The first of them is still known as committed: full means refused, not forgotten.
  expect((await boardTxState(link, txs[0])).state).toBe('committed');
  // Acknowledging a staged tx is refused; an unknown one is a no-op.
  const staged = '0f0f0f0f0f0f0f0f';
  await expect(link.command({ cmd: 'wallet.stage', tx: staged, proofs: JSON.stringify([testProof(98, 'full')]) })).rejects.toThrow(/wallet log full/);
  expect((await link.command({ cmd: 'wallet.ack', tx: '0000000000000bad' })).find((x) => x.ev === 'wallet.acked')).toMatchObject({ known: false });
  await ackLoads(link, [txs[0]]);
  expect(await boardTxState(link, txs[0])).toMatchObject({ state: 'unknown', complete: true });
  await link.command({ cmd: 'wallet.stage', tx: staged, proofs: JSON.stringify([testProof(98, 'full')]) });
  await expect(link.command({ cmd: 'wallet.ack', tx: staged })).rejects.toThrow(/staged, not committed/);
  await link.command({ cmd: 'wallet.abort', tx: staged });
  await loadProofsToBoard(link, [testProof(99, 'full')]);
  expect((await balance(link)).proofs).toBe(before.proofs + 1);
  expect(await unacked()).toBe(32);
}
