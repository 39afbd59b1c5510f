/** Parse `host:port` / `[v6]:port` for --listen. */
export function parseListen(s: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:]+)\]|([^:]+)):(\d{1,5})$/.exec(s);
  if (!m) throw new Error('--listen must be host:port, got ' + JSON.stringify(s));
  const port = Number(m[3]);
  if (port > 65535) throw new Error('port out of range: ' + port);
  return { host: m[1] || m[2], port };
}
