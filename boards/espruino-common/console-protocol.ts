/**
 * Request ids on the console protocol (docs/boards.md). The host frames each command as
 * `\x10hood.cmd("{\"rid\":N,...}")\n` (DLE = Espruino prints neither echo nor result for the line);
 * the firmware answers with `@hood {json}` lines. With a rid, every event emitted while the command
 * runs carries `rid: N`, and the command ends with `{"ev":"done","rid":N,"ok":bool}` (ok = no error
 * event), so the host can match replies even with unsolicited events and REPL noise around them.
 * Commands without a rid behave exactly as before.
 */

/**
 * The host puts the rid first, so it is found without parsing the whole (possibly long) line.
 * (No `{1,9}`: Espruino's regex engine has no brace quantifiers; the length is checked instead.)
 */
const RID_RE = /^\{"rid":([0-9]+),/;

interface Fw {
  cmd(line: string): void;
  emit(ev: { [k: string]: unknown }): void;
}

const installed: Fw[] = [];

export function installRequestIds(h: Fw): void {
  if (installed.indexOf(h) >= 0) return;
  installed.push(h);
  const orig = h.cmd;
  h.cmd = function (line: string) {
    const m = typeof line === 'string' ? RID_RE.exec(line) : null;
    if (!m || m[1].length > 9) return orig(line);
    const rid = +m[1];
    const base = h.emit;
    let active = true;
    let ok = true;
    h.emit = function (ev) {
      // Only events of this command get the rid; an emitter kept for later (a session) passes through.
      if (active) {
        ev.rid = rid;
        if (ev.ev === 'error') ok = false;
      }
      base(ev);
    };
    try {
      orig(line);
    } finally {
      active = false;
      h.emit = base;
    }
    base({ ev: 'done', rid: rid, ok: ok });
  };
}
