/** Console framing: commands survive any JSON content; events are found in REPL noise; noise is never an event. */
import { describe, expect, it } from 'vitest';
import { decodeCommandLine, encodeCommand, LineSplitter, MAX_LINE, parseEventLine } from '../../boards/espruino-common/framing';

describe('console framing', () => {
  it('frames a command as one 7-bit DLE line that decodes to the same JSON', () => {
    const cmd = { rid: 7, cmd: 'send', payload: 'caf\u00e9 \u2028 "quoted" \\ ) \n end', n: 1 };
    const line = encodeCommand(cmd);
    expect(line.startsWith('\x10hood.cmd("')).toBe(true);
    expect(line.endsWith(')\n')).toBe(true);
    expect(line.slice(0, -1)).not.toMatch(/[\n\r\u007f-\uffff]/);
    expect(JSON.parse(decodeCommandLine(line.slice(0, -1))!)).toEqual(cmd);
  });

  it('does not decode other REPL lines as commands', () => {
    expect(decodeCommandLine('print(1)')).toBeNull();
    expect(decodeCommandLine('hood.cmd("x"); evil()')).toBeNull();
    expect(decodeCommandLine('hood.cmd(x)')).toBeNull();
  });

  it('finds events behind the prompt and ignores everything else', () => {
    expect(parseEventLine('>@hood {"ev":"boot","board":"x"}')).toEqual({ ev: 'boot', board: 'x' });
    expect(parseEventLine('@hood {"ev":"status"}\r')).toEqual({ ev: 'status' });
    for (const noise of ['>', '=undefined', 'Uncaught SyntaxError: x', '@hood not json', '@hood {"no":"ev"}', '@hood {broken', '@hoodie {"ev":"x"}']) {
      expect(parseEventLine(noise)).toBeNull();
    }
  });

  it('reassembles lines from arbitrary chunks and drops an endless line', () => {
    const got: string[] = [];
    const s = new LineSplitter((l) => got.push(l));
    const text = 'a\r\nbb\ncc';
    for (const ch of text) s.push(ch);
    s.push('c\r\n');
    expect(got).toEqual(['a', 'bb', 'ccc']);
    s.push('x'.repeat(MAX_LINE + 10));
    s.push('\nok\n');
    expect(got.slice(-1)).toEqual(['ok']);
    expect(got.some((l) => l.length > MAX_LINE)).toBe(false);
  });
});
