/** A byte pipe to a board's console: serial port, pty (Espruino for Linux) or in-process (emu). */
export interface Transport {
  /** Human-readable description (port path, command line, "emu"). */
  readonly label: string;
  /** Write bytes (latin1 string: one char = one byte); resolves once handed to the OS. */
  write(data: string): Promise<void>;
  onData(fn: (chunk: string) => void): void;
  /** Fires once when the other end goes away (cable pulled, process exited) or close() was called. */
  onClose(fn: (err?: Error) => void): void;
  close(): Promise<void>;
}
