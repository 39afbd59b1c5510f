/**
 * The bank audit for the dashboard: the embedded bank's ledger audit (issued = spent + outstanding, account
 * totals; host/bank/ledger/store.ts) run now and then, its verdict and the number of problems kept. The
 * problem texts stay in the bank's own log: the operator's page shows whether the books balance, not what
 * is in them. An external bank audits itself (`hood bank audit`); there is nothing to show for it here.
 */
import type { BankAdmin } from '../bank/embedded';

export interface AuditVerdict {
  ok: boolean;
  problems: number;
  checkedAt: number;
}

export class BankAuditWatch {
  private verdict: AuditVerdict | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(
    private readonly bank: Pick<BankAdmin, 'audit'>,
    private readonly periodMs: number,
  ) {}

  start(): void {
    void this.check();
    this.timer = setInterval(() => void this.check(), this.periodMs);
    this.timer.unref();
  }

  /** Audit once (never twice at a time); a bank that does not answer counts as a failed audit. */
  async check(): Promise<AuditVerdict | null> {
    if (this.running) return this.verdict;
    this.running = true;
    try {
      const r = await this.bank.audit();
      this.verdict = { ok: r.ok, problems: r.problems.length, checkedAt: Date.now() };
    } catch {
      this.verdict = { ok: false, problems: 1, checkedAt: Date.now() };
    } finally {
      this.running = false;
    }
    return this.verdict;
  }

  last(): AuditVerdict | null {
    return this.verdict;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
