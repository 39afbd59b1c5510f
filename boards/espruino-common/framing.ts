/**
 * Console framing between the host and the firmware (docs/boards.md "Console protocol"): the line
 * format both ends agree on, read by the host's board link and by the Node boards that run the bundle
 * in-process. The firmware's side is events.ts (writing) and console-protocol.ts (request ids).
 *
 * Host -> board: one REPL line per command, `\x10hood.cmd(<JS string literal of the JSON>)\n`.
 * DLE (0x10) at the start of a line makes Espruino print neither the echo nor the `=undefined`
 * result. The literal is JSON-stringified twice and every non-ASCII character (and U+2028/2029,
 * line terminators to ES5) is escaped, so the line is 7-bit clean on any serial link.
 *
 * Board -> host: events are lines containing `@hood {json}`. Everything else (banner, prompt `>`,
 * `Uncaught ...`, echo of a human typing) is REPL noise and ignored. The prompt may sit in front of
 * the prefix on the same line (`>@hood {...}`), so the prefix is searched, not anchored.
 */
import { EVENT_PREFIX } from '../../firmware/src/event-prefix';

/** One console event from the firmware: `ev` names it; `rid` is set on replies to a framed command. */
export type PdaEvent = { ev: string; rid?: number; [k: string]: any };

/** Longest console line accepted from a board; longer input is dropped as noise. */
export const MAX_LINE = 64 * 1024;

export function jsStringLiteral(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

/** The REPL line that runs one command object on the board. */
export function encodeCommand(cmd: Record<string, unknown>): string {
  return '\x10hood.cmd(' + jsStringLiteral(JSON.stringify(cmd)) + ')\n';
}

/** Undo encodeCommand (used by in-process and mock boards). Returns null for any other line. */
export function decodeCommandLine(line: string): string | null {
  const m = /^\x10?hood\.cmd\(("(?:[^"\\]|\\.)*")\)\s*$/.exec(line);
  if (!m) return null;
  try {
    const s = JSON.parse(m[1]);
    return typeof s === 'string' ? s : null;
  } catch {
    return null;
  }
}

/** The event in one console line, or null if the line is noise. */
export function parseEventLine(line: string): PdaEvent | null {
  const i = line.indexOf(EVENT_PREFIX + '{');
  if (i < 0) return null;
  const body = line.slice(i + EVENT_PREFIX.length).replace(/[\r\n]+$/, '');
  try {
    const e = JSON.parse(body);
    return e && typeof e === 'object' && typeof e.ev === 'string' ? (e as PdaEvent) : null;
  } catch {
    return null;
  }
}

/** Splits a byte stream into lines (\n or \r\n), bounded in size. */
export class LineSplitter {
  private buf = '';
  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: string): void {
    this.buf += chunk;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl).replace(/\r+$/, '');
      this.buf = this.buf.slice(nl + 1);
      this.onLine(line);
    }
    if (this.buf.length > MAX_LINE) this.buf = '';
  }
}
