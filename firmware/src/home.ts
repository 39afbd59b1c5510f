/**
 * Non-anonymous ("home") mode, paper §2.4: the PDA is on the network as itself. It uses its home
 * identity — the burned-in MAC the board booted with, a fixed hostname and a fixed MQTT client id, both
 * derived from that MAC the way stock ESP32 firmware derives them ("esp32-XXXXXX") — so whoever runs the
 * network can recognise it, exactly as with any ordinary device. Nothing of this identity may ever be
 * used in anonymous mode: main.ts ends the home link (socket closed, radio down) before an anonymous
 * session may start, and the anonymous session loads a fresh TmpMAC while the radio is down.
 *
 * Runs on Espruino: callbacks only.
 */
import { copyBytes, equalBytes, toHex } from '../../shared/src/bytes';
import { formatMac } from '../../shared/src/tmpmac';
import type { Board } from './board';
import type { PdaConfig } from './config';
import type { EventSink } from './events';
import { MqttClient } from './mqtt/client';

export interface HomeIdentity {
  mac: Uint8Array;
  hostname: string;
  clientId: string;
}

/** The home identity of a board whose burned-in address is `mac` (read at boot, before any setMac). */
export function homeIdentity(mac: Uint8Array): HomeIdentity {
  const hex = toHex(mac);
  return { mac: copyBytes(mac), hostname: 'hood-' + hex.substr(6), clientId: 'hood' + hex };
}

export type HomeState = 'off' | 'connecting' | 'connected';

export class HomeLink {
  state: HomeState = 'off';
  private board: Board;
  private cfg: PdaConfig;
  private emit: EventSink;
  private id: HomeIdentity;
  private mqtt: MqttClient | null = null;

  constructor(board: Board, cfg: PdaConfig, emit: EventSink, id: HomeIdentity) {
    this.board = board;
    this.cfg = cfg;
    this.emit = emit;
    this.id = id;
  }

  /** Put the burned-in address back (an anonymous session may have left a TmpMAC), associate, connect. */
  start(): void {
    if (this.state !== 'off') throw new Error('home link already ' + this.state);
    const self = this;
    this.state = 'connecting';
    const afterMac = function (err?: string) {
      if (err) return self.failed('cannot load home MAC: ' + err);
      if (!equalBytes(self.board.radio.currentMac(), self.id.mac)) return self.failed('MAC register does not hold the home MAC');
      self.board.radio.connect(self.id.hostname, function (err2) {
        if (err2) return self.failed('radio: ' + err2);
        self.connectBroker();
      });
    };
    if (equalBytes(this.board.radio.currentMac(), this.id.mac)) afterMac();
    else this.board.radio.setMac(copyBytes(this.id.mac), afterMac);
  }

  private connectBroker(): void {
    const self = this;
    const m = new MqttClient(this.board.net, this.board.clock, {
      host: this.cfg.brokerHost,
      port: this.cfg.brokerPort,
      clientId: this.id.clientId,
      keepaliveSec: 30,
      maxPacket: 4096,
    });
    this.mqtt = m;
    m.onClose(function (err) {
      if (self.mqtt !== m) return;
      self.failed('broker connection lost' + (err ? ': ' + err : ''));
    });
    m.connect(function (err) {
      if (err) return self.failed('broker: ' + err);
      self.state = 'connected';
      self.emit({ ev: 'home', state: 'connected', mac: formatMac(self.id.mac), hostname: self.id.hostname, clientId: self.id.clientId });
    });
  }

  private failed(msg: string): void {
    this.emit({ ev: 'error', code: 'home_failed', msg: msg });
    this.end(function () {});
  }

  /** Close the broker connection and take the radio down; cb when the link is fully off. */
  end(cb: () => void): void {
    const self = this;
    const m = this.mqtt;
    this.mqtt = null;
    if (this.state === 'off' && !m) return cb();
    const radioDown = function () {
      if (m) m.wipe();
      self.board.radio.disconnect(function () {
        self.state = 'off';
        self.emit({ ev: 'home', state: 'off' });
        cb();
      });
    };
    if (m) m.end(radioDown);
    else radioDown();
  }
}
