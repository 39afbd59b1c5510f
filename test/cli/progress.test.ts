/** Progress of slow commands: on a terminal's stderr only, never with --json. */
import { describe, expect, it } from 'vitest';
import { progressLines } from '../../host/board/progress';

function stream(isTTY: boolean): NodeJS.WriteStream & { text: string } {
  const s = { isTTY, text: '', write(x: string) { s.text += x; return true; } };
  return s as unknown as NodeJS.WriteStream & { text: string };
}

describe('progressLines', () => {
  it('writes labelled lines on a terminal', () => {
    const out = stream(true);
    progressLines({}, 'bench mss', out)!('warming up');
    expect(out.text).toBe('bench mss: warming up\n');
  });

  it('is silent with --json, and when stderr is not a terminal', () => {
    expect(progressLines({ json: true }, 'x', stream(true))).toBeUndefined();
    expect(progressLines({}, 'x', stream(false))).toBeUndefined();
    expect(progressLines({ json: false }, 'x', stream(false))).toBeUndefined();
  });
});
