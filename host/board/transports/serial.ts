/**
 * Transport over a serial port (serialport 13). `binding` lets tests use @serialport/binding-mock
 * (SerialPortMock) instead of the OS; a real ESP32 DevKitC is at 115200 8N1 on its USB-UART.
 * XON/XOFF is on: Espruino sends XOFF when its input buffer fills (Espruino's serial flow control).
 */
import { SerialPort, SerialPortMock } from 'serialport';
import type { Transport } from '../transport';

export interface SerialOptions {
  path: string;
  baudRate?: number;
  /** true = @serialport/binding-mock (tests); the mock port must have been created with MockBinding.createPort. */
  mock?: boolean;
}

export async function openSerial(o: SerialOptions): Promise<Transport & { port: SerialPort | SerialPortMock }> {
  const settings = { path: o.path, baudRate: o.baudRate ?? 115200, autoOpen: false, xon: !o.mock, xoff: !o.mock };
  const port = o.mock ? new SerialPortMock(settings) : new SerialPort(settings);
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  let closeErr: Error | undefined;
  const closeFns: ((err?: Error) => void)[] = [];
  port.on('error', (e: Error) => {
    closeErr = e;
  });
  port.on('close', (e?: Error) => {
    for (const f of closeFns.splice(0)) f(e ?? closeErr);
  });
  return {
    label: o.path,
    port,
    write(data: string) {
      return new Promise<void>((resolve, reject) => {
        port.write(Buffer.from(data, 'latin1'), (err) => (err ? reject(err) : port.drain((e) => (e ? reject(e) : resolve()))));
      });
    },
    onData(fn) {
      port.on('data', (d: Buffer) => fn(d.toString('latin1')));
    },
    onClose(fn) {
      closeFns.push(fn);
    },
    close() {
      return new Promise<void>((resolve) => {
        if (!port.isOpen) return resolve();
        port.close(() => resolve());
      });
    },
  };
}
