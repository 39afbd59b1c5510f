/**
 * Options declared once: every command that talks to a board has the same four link options, every
 * `--json` is the one flag of host/cli/output.ts, and printResult keeps its promise — one JSON object
 * on one line with --json (for any JSON value), text otherwise.
 */
import { Command, type Option } from 'commander';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { boardLinkOptions } from '../../host/cli/board-link-options';
import { buildProgram } from '../../host/cli/hood';
import { formatFields, jsonOption, printResult } from '../../host/cli/output';

function allCommands(c: Command, path = ''): { path: string; cmd: Command }[] {
  const here = path ? [{ path, cmd: c }] : [];
  return here.concat(...c.commands.map((s) => allCommands(s, (path + ' ' + s.name()).trim())));
}

const describeOption = (o: Option) => o.flags + ' | ' + o.description + ' | ' + String(o.defaultValue);
const LINK = boardLinkOptions(new Command()).options.map(describeOption);
const JSON_FLAG = describeOption(jsonOption(new Command()).options[0]);

describe('option groups', () => {
  const cmds = allCommands(buildProgram());

  it('every command that opens a board link declares --port, --baud, --espruino and --espruino-dir the same way', () => {
    const linked = cmds.filter((c) => c.cmd.options.some((o) => o.long === '--port' || o.long === '--espruino-dir' || o.long === '--baud'));
    expect(linked.map((c) => c.path).sort()).toEqual(['board config', 'board console', 'board status', 'flash', 'wallet load', 'wallet nymble-load']);
    for (const c of linked) {
      const mine = c.cmd.options.filter((o) => ['--port', '--baud', '--espruino', '--espruino-dir'].includes(o.long!)).map(describeOption);
      expect(mine, c.path).toEqual(LINK);
    }
  });

  it('--json has one meaning everywhere it exists', () => {
    const withJson = cmds.filter((c) => c.cmd.options.some((o) => o.long === '--json'));
    expect(withJson.length).toBeGreaterThanOrEqual(20);
    for (const c of withJson) expect(describeOption(c.cmd.options.find((o) => o.long === '--json')!), c.path).toBe(JSON_FLAG);
    // Every command that prints a result offers it; only servers, streams and the internal PDA process do not.
    const without = cmds.filter((c) => c.cmd.commands.length === 0 && !c.cmd.options.some((o) => o.long === '--json')).map((c) => c.path);
    expect(without.sort()).toEqual(['board console', 'lab pda', 'lab up', 'nymble serve', 'pda']);
  });
});

describe('printResult', () => {
  let written = '';
  const capture = () => {
    written = '';
    return vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
      written += String(s);
      return true;
    });
  };
  afterEach(() => vi.restoreAllMocks());

  it('--json: exactly one line that parses back to the value, for any JSON value', () => {
    capture();
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        written = '';
        printResult({ json: true }, v, () => 'never used');
        expect(written.endsWith('\n')).toBe(true);
        expect(written.slice(0, -1)).not.toContain('\n');
        expect(JSON.parse(written)).toEqual(JSON.parse(JSON.stringify(v)));
      }),
      { numRuns: 500 },
    );
  });

  it('text: the command’s own text, one newline at the end; by default the fields, one per line', () => {
    capture();
    printResult({}, { a: 1 }, (x) => 'a is ' + x.a);
    printResult({ json: false }, { a: 1 }, () => 'two\nlines\n');
    expect(written).toBe('a is 1\ntwo\nlines\n');
    expect(formatFields({ ok: true, mss: { rttMs: { p50: 1.5 } }, leaks: ['x'], name: 'bob' })).toBe(
      'ok             true\nmss.rttMs.p50  1.5\nleaks          ["x"]\nname           bob',
    );
  });
});
