/** Board.net over Espruino's `net` module (TCP through the board's network stack). */
import type { Net, Socket, SocketHandlers } from '../../firmware/src/board';
import { binaryToBytes, bytesToBinary } from './bytes-string';
import type { EspruinoE, EspruinoNetModule } from './espruino-api';

export function espruinoNet(net: EspruinoNetModule, e: EspruinoE | null): Net {
  return {
    connect: function (host: string, port: number, h: SocketHandlers): Socket {
      let closed = false;
      let err: string | undefined;
      const close = function () {
        if (closed) return;
        closed = true;
        h.onClose(err);
      };
      const s = net.connect({ host: host, port: port }, function () {
        if (!closed) h.onConnect();
      });
      s.on('data', function (d: string) {
        if (!closed) h.onData(binaryToBytes(e, d));
      });
      s.on('error', function (x: any) {
        err = (x && (x.message || x.code)) || 'socket error';
      });
      s.on('close', close);
      return {
        write: function (data: Uint8Array) {
          if (!closed) s.write(bytesToBinary(e, data));
        },
        end: function () {
          s.end();
        },
      };
    },
  };
}
