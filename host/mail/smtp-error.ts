/**
 * An SMTP refusal. smtp-server answers a callback error with its `responseCode` and message as the
 * reply line (RFC 5321 4.2); the message starts with the enhanced status code (RFC 3463), e.g.
 * `5.1.1 unknown or expired TmpId`. The reason is `smtp_<code>`: 4xx asks the sender to retry, 5xx
 * refuses for good.
 */
import { HoodError } from '../common/errors';

export class SmtpError extends HoodError {
  readonly responseCode: number;
  constructor(responseCode: number, text: string) {
    super('smtp_' + responseCode, text);
    this.name = 'SmtpError';
    this.responseCode = responseCode;
  }
}
