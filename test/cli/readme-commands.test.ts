/**
 * README.md matches the tool: every `hood …` line in its code blocks, its inline code and its command
 * table names commands that exist, options that each command's `--help` lists (with a value of the form
 * the help asks for), and the command table has a row for every command `hood --help` lists.
 */
import { readFileSync } from 'node:fs';
import type { Command, Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../host/cli/hood';

const README = readFileSync('README.md', 'utf8');

/** Every `hood …` invocation README shows: code-block lines (comments cut) and inline code spans. */
export function hoodLines(md: string): string[] {
  const out: string[] = [];
  const fences = /^```[^\n]*\n([\s\S]*?)^```/gm;
  for (const m of md.matchAll(fences)) {
    for (const raw of m[1].split('\n')) {
      const line = raw.replace(/\s#.*$/, '').trim();
      const at = line.search(/(^|\s)(npx )?hood /);
      if (at >= 0 && /^(npx )?hood /.test(line.slice(at).trim())) out.push(line.slice(at).trim().replace(/^npx /, ''));
    }
  }
  const prose = md.replace(fences, '');
  for (const m of prose.matchAll(/`([^`]+)`/g)) {
    const s = m[1].replace(/\s+/g, ' ').trim();
    if (/^(npx )?hood /.test(s)) out.push(s.replace(/^npx /, ''));
  }
  return out;
}

/** The command a table row documents: the first cell's code span. */
function tableRowCommands(md: string): string[] {
  return md
    .split('\n')
    .filter((l) => /^\| `hood /.test(l))
    .map((l) => /^\| `([^`]+)`/.exec(l)![1]);
}

const sub = (c: Command, name: string) => c.commands.find((x) => x.name() === name || x.aliases().includes(name));

function findOption(chain: Command[], token: string): Option | undefined {
  for (let i = chain.length - 1; i >= 0; i--) {
    const o = chain[i].options.find((x) => x.long === token || x.short === token);
    if (o) return o;
  }
  return undefined;
}

/** The separators a value placeholder demands (`<host:port>` needs ':', `<mss-id=hex>` needs '='). */
function formSeparators(flags: string): string[] {
  const p = /<([^>]+)>/.exec(flags);
  return p ? ['=', ':'].filter((s) => p[1].includes(s)) : [];
}

/** Problems with one README line, checked against the program and each command's help text. */
export function checkLine(program: Command, line: string): string[] {
  const problems: string[] = [];
  const tokens = line
    .replace(/\\\|/g, '|')
    .split(' ')
    .slice(1)
    .map((t) => t.replace(/^\[|\]$/g, ''))
    .filter((t) => t !== '' && t !== '…' && t !== '...' && t !== 'options');
  let chains: Command[][] = [[program]];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (/^-/.test(t)) {
      const flag = t.split('=')[0];
      if (flag === '--help' || flag === '-h') continue;
      let takesValue = false;
      for (const chain of chains) {
        const o = findOption(chain, flag);
        const help = chain.map((c) => c.helpInformation()).join('\n');
        if (!o || !new RegExp('(^|[\\s,])' + flag.replace(/[-]/g, '\\-') + '([\\s,<\\[]|$)', 'm').test(help)) {
          problems.push(`${line}: ${chain.map((c) => c.name()).join(' ')} has no option ${flag} in its --help`);
          continue;
        }
        // `[--listen] [--data-dir]`: an option shown without its value is followed by the next option.
        takesValue = (o.required || o.optional) && tokens[i + 1] !== undefined && !/^-/.test(tokens[i + 1]);
        const value = t.includes('=') ? t.slice(t.indexOf('=') + 1) : takesValue ? tokens[i + 1] : undefined;
        for (const s of formSeparators(o.flags)) {
          if (value !== undefined && !value.includes(s)) problems.push(`${line}: ${flag} wants ${o.flags.split(' ').slice(1).join(' ')}, README gives ${value}`);
        }
      }
      if (takesValue && !t.includes('=')) i++;
      continue;
    }
    if (/^<.*>$/.test(t)) continue; // a placeholder for any command or argument
    const names = t.split('/');
    const next = chains.map((chain) => names.map((n) => sub(chain[chain.length - 1], n)));
    if (next.every((alts) => alts.every((c) => c !== undefined))) {
      chains = chains.flatMap((chain, k) => next[k].map((c) => [...chain, c!]));
      continue;
    }
    const unknown = chains.filter((chain) => chain[chain.length - 1].commands.length > 0 && chain[chain.length - 1].registeredArguments.length === 0);
    // A bare word where a command expects a subcommand and takes no argument of its own: a typo or a
    // command that does not exist. What follows it cannot be checked.
    if (unknown.length) return [...problems, ...unknown.map((chain) => `${line}: ${chain.map((c) => c.name()).join(' ')} has no subcommand ${t}`)];
  }
  return problems;
}

describe('README matches the hood command', () => {
  const program = buildProgram();
  const lines = hoodLines(README);

  it('finds the lines it checks', () => {
    expect(lines.length).toBeGreaterThan(30);
    expect(lines).toContain('hood demo --json');
  });

  it('every hood line names commands and options that exist, values in the form the help asks for', () => {
    const problems = lines.flatMap((l) => checkLine(program, l));
    expect(problems).toEqual([]);
  });

  it('the command table has a row for every command hood --help lists (and every benchmark)', () => {
    const rows = tableRowCommands(README).map((r) => r.split(' '));
    const listed = (path: string[]) => rows.some((r) => path.every((p, k) => r[k + 1] !== undefined && r[k + 1].split('/').includes(p)));
    const missing: string[] = [];
    for (const c of program.commands) {
      if (!listed([c.name()])) missing.push('hood ' + c.name());
      if (c.name() === 'bench') for (const b of c.commands) if (!listed(['bench', b.name()])) missing.push('hood bench ' + b.name());
    }
    expect(missing).toEqual([]);
  });

  it('no command has two rows in the table', () => {
    const rows = tableRowCommands(README);
    expect(rows.filter((r, i) => rows.indexOf(r) !== i)).toEqual([]);
  });

  it('the checker catches what it is for', () => {
    expect(checkLine(program, 'hood board config --port /dev/ttyUSB0 --pin <key>')).toEqual([expect.stringMatching(/--pin wants/)]);
    expect(checkLine(program, 'hood board config --pin doug=<key>')).toEqual([]);
    expect(checkLine(program, 'hood mss --no-such-option')).toEqual([expect.stringMatching(/no option --no-such-option/)]);
    expect(checkLine(program, 'hood walet balance')).toEqual([expect.stringMatching(/no subcommand walet/)]);
    expect(checkLine(program, 'hood bench mss/nope [--json]')).toEqual([expect.stringMatching(/no subcommand mss\/nope/)]);
    expect(checkLine(program, 'hood pda --broker 127.0.0.1:1883')).toEqual([]);
    expect(checkLine(program, 'hood pda --broker localhost')).toEqual([expect.stringMatching(/--broker wants/)]);
  });
});
