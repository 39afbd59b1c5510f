/**
 * Admin requests over the embedded bank's IPC channel (host/bank/admin.ts): every message is
 * validated before it reaches the mint; anything else is a refusal reply, never an exception,
 * never a change to the ledger.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_ID, parseAdminRequest, runAdmin } from '../../host/bank/admin';
import { SqliteLedgerStore } from '../../host/bank/ledger/sqlite';
import { Mint } from '../../host/bank/mint';

let mint: Mint;
let store: SqliteLedgerStore;

beforeAll(async () => {
  store = new SqliteLedgerStore(':memory:');
  mint = await Mint.open({ store, seed: new Uint8Array(32).fill(3) });
});
afterAll(() => store.close());

const rows = () => {
  const n = (t: string) => (store.db.prepare('SELECT COUNT(*) n FROM ' + t).get() as { n: number }).n;
  return { accounts: n('accounts'), entries: n('account_entries') };
};

describe('bank admin requests', () => {
  it('creates, credits and audits', async () => {
    const a = await runAdmin(mint, { id: 1, op: 'createAccount', name: 'bob' });
    expect(a).toMatchObject({ type: 'admin', id: 1, ok: true });
    expect((a as { value: { token: string } }).value.token).toMatch(/^hoodacct_[0-9a-f]{16}_/);
    expect(await runAdmin(mint, { id: 2, op: 'creditAccount', name: 'bob', amount: 5 })).toEqual({ type: 'admin', id: 2, ok: true, value: 5 });
    expect(await runAdmin(mint, { id: 3, op: 'audit' })).toMatchObject({ id: 3, ok: true, value: { ok: true, deposits: 5 } });
    expect(await runAdmin(mint, { id: 4, op: 'createAccount', name: 'bob' })).toMatchObject({ id: 4, ok: false, error: 'account name already taken' });
    expect(await runAdmin(mint, { id: 5, op: 'creditAccount', name: 'eve', amount: 1 })).toMatchObject({ id: 5, ok: false, code: 90006 });
  });

  it('refuses malformed requests by name', async () => {
    const bad: [unknown, RegExp, number][] = [
      [null, /object/, 0],
      [[1], /object/, 0],
      ['createAccount', /object/, 0],
      [{ op: 'audit' }, /id/, 0],
      [{ id: 0, op: 'audit' }, /id/, 0],
      [{ id: 1.5, op: 'audit' }, /id/, 0],
      [{ id: MAX_ID + 1, op: 'audit' }, /id/, 0],
      [{ id: '7', op: 'audit' }, /id/, 0],
      [{ id: 7, op: 'drop' }, /unknown admin op/, 7],
      [{ id: 7, op: 'audit', extra: 1 }, /unexpected field/, 7],
      [{ id: 7, op: 'createAccount' }, /name/, 7],
      [{ id: 7, op: 'createAccount', name: '' }, /name/, 7],
      [{ id: 7, op: 'createAccount', name: 'a'.repeat(65) }, /name/, 7],
      [{ id: 7, op: 'createAccount', name: '../x' }, /name/, 7],
      [{ id: 7, op: 'creditAccount', name: 'bob' }, /amount/, 7],
      [{ id: 7, op: 'creditAccount', name: 'bob', amount: -1 }, /amount/, 7],
      [{ id: 7, op: 'creditAccount', name: 'bob', amount: 0 }, /amount/, 7],
      [{ id: 7, op: 'creditAccount', name: 'bob', amount: 1.5 }, /amount/, 7],
      [{ id: 7, op: 'creditAccount', name: 'bob', amount: 2 ** 53 }, /amount/, 7],
      [{ id: 7, op: 'creditAccount', name: 'bob', amount: '5' }, /amount/, 7],
    ];
    const before = rows();
    for (const [m, re, id] of bad) {
      const r = await runAdmin(mint, m);
      expect(r.ok).toBe(false);
      expect(r.id).toBe(id);
      expect((r as { error: string }).error).toMatch(re);
    }
    expect(rows()).toEqual(before);
  });

  it('random messages: never throws, changes nothing unless well-formed, and every reply carries the id it can read', async () => {
    const field = fc.oneof(fc.constantFrom('id', 'op', 'name', 'amount'), fc.string({ maxLength: 8 }));
    const value = fc.oneof(
      fc.constantFrom('createAccount', 'creditAccount', 'audit', 'bob', 'x'),
      fc.integer({ min: -5, max: MAX_ID + 5 }),
      fc.double(),
      fc.string({ maxLength: 80 }),
      fc.constant(null),
      fc.anything({ maxDepth: 2 }),
    );
    const msg = fc.oneof(fc.anything({ maxDepth: 3 }), fc.dictionary(field, value, { maxKeys: 5 }));
    await fc.assert(
      fc.asyncProperty(msg, async (m) => {
        const before = rows();
        let parsed: ReturnType<typeof parseAdminRequest> | null = null;
        try {
          parsed = parseAdminRequest(m);
        } catch {
          parsed = null;
        }
        const r = await runAdmin(mint, m);
        expect(r.type).toBe('admin');
        expect(Number.isSafeInteger(r.id) && r.id >= 0 && r.id <= MAX_ID).toBe(true);
        if (!parsed) {
          expect(r.ok).toBe(false);
          expect(rows()).toEqual(before);
        } else {
          expect(r.id).toBe(parsed.id);
          if (parsed.op === 'audit') expect(r.ok).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
    expect((await mint.audit()).ok).toBe(true);
  });
});
