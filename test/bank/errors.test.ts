/**
 * One error base on the host: a bank refusal reaches the wallet as a HoodError whose `reason` names the
 * NUT code, and the wallet's own error keeps it as `cause`. Against a real bank over HTTP.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, errorReason } from '../../host/cashu/errors';
import { HoodError } from '../../host/common/errors';
import { StoreError } from '../../host/bank/ledger/store';
import { SmtpError } from '../../host/mail/smtp-error';
import { BankHttpError, HttpBank } from '../../host/wallet/client';
import { WalletError } from '../../host/wallet/types';
import { Wallet } from '../../host/wallet/wallet';
import { cleanupTempDirs, startTestBank, tempDir, type TestBank } from './helpers';

let bank: TestBank;
beforeAll(async () => {
  bank = await startTestBank();
});
afterAll(async () => {
  await bank.stop();
  cleanupTempDirs();
});

const TABLE = new Set<number>(Object.values(ErrorCode));

describe('reason codes', () => {
  it('name every NUT and bank code, and fall back to code_<n> for others', () => {
    for (const [name, code] of Object.entries(ErrorCode)) expect(errorReason(code)).toBe(name.toLowerCase());
    expect(errorReason(12345)).toBe('code_12345');
    expect(errorReason(0)).toBe('code_0');
  });

  it('are carried by the store, wallet and mail errors, which all extend HoodError', () => {
    const s = new StoreError('already_spent');
    expect(s).toBeInstanceOf(HoodError);
    expect([s.reason, s.refusal, s.message, s.name]).toEqual(['already_spent', 'already_spent', 'already_spent', 'StoreError']);
    const cause = new Error('socket hang up');
    const w = new WalletError('bank_unreachable', 'no answer', { cause });
    expect(w).toBeInstanceOf(HoodError);
    expect([w.reason, w.message, w.cause]).toEqual(['bank_unreachable', 'bank_unreachable: no answer', cause]);
    const m = new SmtpError(550, '5.1.1 unknown or expired TmpId');
    expect(m).toBeInstanceOf(HoodError);
    expect([m.reason, m.responseCode, m.message]).toEqual(['smtp_550', 550, '5.1.1 unknown or expired TmpId']);
  });
});

describe('a refusal of the real bank', () => {
  it('a double spend: WalletError already_spent, caused by the mint\'s 11001', async () => {
    const token = await bank.funded('errbob', 8);
    const w = new Wallet(tempDir('errbob'));
    await w.withdraw(bank.url, token, 8);
    const coins = await w.exportToken(bank.url, 8);
    await new Wallet(tempDir('errmss1')).receive(coins, bank.url);
    const e = await new Wallet(tempDir('errmss2')).receive(coins, bank.url).then(
      () => null,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(WalletError);
    expect((e as WalletError).reason).toBe('already_spent');
    const c = (e as WalletError).cause;
    expect(c).toBeInstanceOf(BankHttpError);
    expect(c).toBeInstanceOf(HoodError);
    expect(c).toMatchObject({ status: 400, code: ErrorCode.PROOFS_ALREADY_SPENT, reason: 'proofs_already_spent' });
  });

  it('random request bodies: every refusal is a BankHttpError whose reason names a code of the table', async () => {
    const http = new HttpBank(bank.url, { timeoutMs: 10_000 });
    const paths = ['/v1/swap', '/v1/checkstate', '/v1/mint/quote/account', '/v1/melt/quote/account', '/v1/mint/account', '/v1/melt/account'];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths), fc.jsonValue({ maxDepth: 3 }), async (path, body) => {
        let err: unknown = null;
        try {
          await http.request('POST', path, body);
        } catch (x) {
          err = x;
        }
        // checkstate with an empty Ys list is a valid request; everything else must be refused.
        if (err === null) return;
        expect(err).toBeInstanceOf(BankHttpError);
        const b = err as BankHttpError;
        expect(TABLE.has(b.code)).toBe(true);
        expect(b.reason).toBe(errorReason(b.code));
        expect(b.reason.startsWith('code_')).toBe(false);
      }),
      { numRuns: 150 },
    );
  });
});
