/**
 * The base of every error class on the host. Three things, each for a different reader:
 *
 * - `message`: for a person (a log line, the CLI's stderr); free text, may change.
 * - `reason`: for code — a short stable identifier (`'already_spent'`, `'timeout'`,
 *   `'proofs_already_spent'`) that callers branch on and `--json` output carries, so no caller ever
 *   parses a message.
 * - `cause`: the lower-level error this one explains, if any (ES2022 `Error` cause), so a log shows
 *   the whole chain and no detail is lost by wrapping.
 *
 * Subclasses add what their layer needs (the HTTP status and NUT code of a bank refusal, the SMTP
 * reply code of a mail refusal, the events of a board command) and set `name` to their own class
 * name, which the CLI prints.
 *
 * @example
 * ```ts
 * class WalletError extends HoodError<'already_spent' | 'bank_unreachable'> {}
 * try {
 *   await fetch(url);
 * } catch (e) {
 *   throw new WalletError('bank_unreachable', 'bank at ' + url + ' did not answer', { cause: e });
 * }
 * // caller: if (e instanceof HoodError && e.reason === 'bank_unreachable') retryLater();
 * ```
 */
export class HoodError<R extends string = string> extends Error {
  /** Stable, machine-readable code of what went wrong. */
  readonly reason: R;

  constructor(reason: R, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HoodError';
    this.reason = reason;
  }
}
