/** A one-line progress bar for a TTY (plain percentage lines otherwise). */
export function progressBar(out: NodeJS.WriteStream, label: string): (sent: number, total: number) => void {
  let lastPct = -1;
  return (sent, total) => {
    const pct = total ? Math.floor((sent * 100) / total) : 100;
    if (pct === lastPct) return;
    lastPct = pct;
    if (out.isTTY) {
      const w = 30;
      const full = Math.round((pct / 100) * w);
      out.write('\r' + label + ' [' + '#'.repeat(full) + '.'.repeat(w - full) + '] ' + String(pct).padStart(3) + '% ' +
        (sent / 1024).toFixed(1) + '/' + (total / 1024).toFixed(1) + ' KiB' + (sent >= total ? '\n' : ''));
    } else if (pct % 10 === 0) out.write(label + ' ' + pct + '%\n');
  };
}

/**
 * Progress messages for a person watching a slow command: on a terminal's stderr only, and never with
 * `--json`, so scripted runs see nothing but their result (host/cli/output.ts).
 */
export function progressLines(o: { json?: boolean }, label: string, out: NodeJS.WriteStream = process.stderr): ((msg: string) => void) | undefined {
  if (o.json || !out.isTTY) return undefined;
  return (msg) => out.write(label + ': ' + msg + '\n');
}
