/**
 * Passwords and tokens reach the CLI from an environment variable, a private file or a prompt on the
 * terminal — never from argv, which every local user can read in /proc/<pid>/cmdline and `ps`, and
 * which shells keep in their history.
 */
import { readPrivateFile } from './private-file';

export interface SecretSpec {
  /** What it is, for messages: "Wi-Fi password". */
  what: string;
  /** Environment variable consulted when no file is given. */
  envVar: string;
  /** A file holding the secret (mode 0600); one trailing newline is dropped. */
  file?: string;
  /** The option that names such a file, for messages: "--wifi-password-file". */
  fileFlag: string;
  /** Ask on the terminal (no echo) when neither file nor variable gives it. Default true. */
  prompt?: boolean;
  /** Streams, for tests; default the process's own. */
  stdin?: NodeJS.ReadStream;
  stderr?: NodeJS.WritableStream;
  env?: NodeJS.ProcessEnv;
}

/** Where a secret may come from, for error messages. */
export function secretSources(s: Pick<SecretSpec, 'envVar' | 'fileFlag'>): string {
  return '$' + s.envVar + ', ' + s.fileFlag + ' FILE (mode 0600) or the prompt on a terminal';
}

/** The option parser for a removed argv form: refuse it and say what to use instead. */
export function argvSecretRefused(flag: string, s: Pick<SecretSpec, 'envVar' | 'fileFlag'>): () => never {
  return () => {
    throw new Error(flag + ' is not accepted: a secret on the command line is visible to every local user; use ' + secretSources(s));
  };
}

/** The secret from file, environment or prompt, in that order; undefined if none gave one. */
export async function readSecret(s: SecretSpec): Promise<string | undefined> {
  if (s.file !== undefined) return readPrivateFile(s.file, 'utf8').replace(/\r?\n$/, '');
  const env = (s.env || process.env)[s.envVar];
  if (env !== undefined && env !== '') return env;
  const stdin = s.stdin || process.stdin;
  if (s.prompt !== false && stdin.isTTY) return promptHidden(s.what + ': ', stdin, s.stderr || process.stderr);
  return undefined;
}

/** Read one line from a terminal with echo off (raw mode: the terminal does not print what is typed). */
export function promptHidden(question: string, stdin: NodeJS.ReadStream, out: NodeJS.WritableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    out.write(question);
    const wasRaw = stdin.isRaw;
    stdin.setRawMode(true);
    stdin.resume();
    let buf = '';
    const done = (err: Error | null) => {
      stdin.off('data', onData);
      stdin.setRawMode(wasRaw);
      stdin.pause();
      out.write('\n');
      if (err) reject(err);
      else resolve(buf);
    };
    const onData = (d: Buffer) => {
      for (const ch of d.toString('utf8')) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return done(null);
        if (ch === '\u0003') return done(new Error('cancelled'));
        if (ch === '\u007f' || ch === '\b') buf = Array.from(buf).slice(0, -1).join('');
        else if (ch >= ' ') buf += ch;
      }
    };
    stdin.on('data', onData);
  });
}
