/**
 * The radio link: the one place where the firmware brings the radio and the broker connection up and
 * takes them down, for both modes of paper §2.4 (the anonymous session and the home link).
 *
 *   up:   load the address (skipped if the register already holds it) -> read the register back and
 *         compare -> associate (the board re-reads the register right before association and refuses
 *         if it holds anything else) -> MQTT CONNECT
 *   down: MQTT end -> wipe the client -> radio disconnect -> (anonymous) load a random throwaway
 *         address and wait for it, so the session's TmpMAC does not stay in the register (paper step 8)
 *
 * A link is used once. Every asynchronous callback carries the link's generation: after close() (or a
 * failure) the callbacks of the steps still in flight do nothing, so an ended link can never go on to
 * associate or to open MQTT under an identity that is no longer wanted. A radio step in flight when
 * close() is called is waited for before the teardown starts, so the board never sees a disconnect
 * overtaken by the association it was meant to undo.
 *
 * Who may hold the radio is decided here too (RadioOwner): the anonymous session or the home link,
 * never both, so the home identity (burned-in MAC, fixed client id) can never be loaded while an
 * anonymous session is starting, running or being wiped.
 *
 * Runs on Espruino: callbacks only, no Map/Set/async.
 */
import { equalBytes, wipe } from '../../shared/src/bytes';
import { newTmpMac } from '../../shared/src/tmpmac';
import type { Board } from './board';
import type { PdaConfig } from './config';
import type { EventSink } from './events';
import { mqttClientClass, type MqttClient } from './mqtt/client';

export type RadioHolder = 'anonymous' | 'home';

/** At most one holder of the radio at any time. */
export class RadioOwner {
  holder: RadioHolder | '' = '';

  acquire(who: RadioHolder): boolean {
    if (this.holder !== '') return false;
    this.holder = who;
    return true;
  }

  release(who: RadioHolder): void {
    if (this.holder === who) this.holder = '';
  }
}

let owner: RadioOwner | null = null;
let ownerBoard: Board | null = null;

/** The owner record of `board` (the firmware drives one board; a new board starts with a free radio). */
export function radioOwner(board: Board): RadioOwner {
  if (owner === null || ownerBoard !== board) {
    owner = new RadioOwner();
    ownerBoard = board;
  }
  return owner;
}

/** Take the radio for `who`, or report who holds it (an `error` event, code radio_busy) and refuse. */
export function claimRadio(board: Board, who: RadioHolder, emit: EventSink): boolean {
  const o = radioOwner(board);
  if (o.acquire(who)) return true;
  const other = o.holder === 'home' ? 'the home link' : 'an anonymous session';
  emit({ ev: 'error', code: 'radio_busy', msg: 'the radio is held by ' + other + '; end it first', holder: o.holder });
  return false;
}

export interface LinkSpec {
  /** Address to load into the unicast register (TmpMAC, or the home address). */
  mac: Uint8Array;
  /** DHCP hostname for the association. */
  hostname: string;
  clientId: string;
  maxPacket: number;
  /** Anonymous mode: after the radio is down, load a random throwaway address (paper step 8). */
  scrubMac: boolean;
}

export interface LinkEvents {
  /** The broker accepted the connection; `mqtt` is this link's client until close(). */
  onUp(mqtt: MqttClient): void;
  onMessage(topic: string, payload: Uint8Array): void;
  /** A step failed or the broker connection was lost; fires at most once. The owner then calls close(). */
  onFail(msg: string): void;
}

type LinkState = 'idle' | 'mac' | 'assoc' | 'mqtt' | 'up' | 'failed' | 'closing' | 'closed';

/**
 * The class is made inside buildRadioLink(), when the first link opens (radioLinkClass()), not at
 * boot: on Espruino every method that exists costs variables (docs/crypto-speed.md, variables after boot).
 */
function buildRadioLink() {
  class RadioLink {
    state: LinkState = 'idle';
    private board: Board;
    private cfg: PdaConfig;
    private spec: LinkSpec;
    private ev: LinkEvents;
    private mqtt: MqttClient | null = null;
    /** Bumped by close() and by a failure: callbacks of an older generation are inert. */
    private gen = 0;
    /** A radio step (setMac / connect) is in flight. */
    private busy = false;
    private closeCbs: (() => void)[] = [];

    constructor(board: Board, cfg: PdaConfig, spec: LinkSpec, ev: LinkEvents) {
      this.board = board;
      this.cfg = cfg;
      this.spec = spec;
      this.ev = ev;
    }

    open(): void {
      if (this.state !== 'idle') throw new Error('link already used');
      const self = this;
      const g = this.gen;
      this.state = 'mac';
      if (equalBytes(this.board.radio.currentMac(), this.spec.mac)) return this.associate(g);
      this.radioStep(
        g,
        function (done) {
          self.board.radio.setMac(self.spec.mac, done);
        },
        function (err) {
          if (err) return self.fail('cannot load the MAC: ' + err);
          self.associate(g);
        },
      );
    }

    private associate(g: number): void {
      const self = this;
      // Verify the register really holds the wanted address before the radio sends anything (paper §5).
      if (!equalBytes(this.board.radio.currentMac(), this.spec.mac)) return this.fail('MAC register does not hold the expected address');
      this.state = 'assoc';
      this.radioStep(
        g,
        function (done) {
          self.board.radio.connect(self.spec.hostname, self.spec.mac, done);
        },
        function (err) {
          if (err) return self.fail('radio: ' + err);
          self.connectBroker(g);
        },
      );
    }

    /** Run one radio step; its result reaches `next` only if the link is still of generation `g`. */
    private radioStep(g: number, start: (done: (err?: string) => void) => void, next: (err?: string) => void): void {
      const self = this;
      let answered = false;
      this.busy = true;
      start(function (err?: string) {
        if (answered) return; // a board that answers twice is not believed twice
        answered = true;
        self.busy = false;
        if (self.gen !== g) {
          if (self.state === 'closing') self.teardown();
          return;
        }
        next(err);
      });
    }

    private connectBroker(g: number): void {
      const self = this;
      this.state = 'mqtt';
      const Client = mqttClientClass();
      const m = new Client(this.board.net, this.board.clock, {
        host: this.cfg.brokerHost,
        port: this.cfg.brokerPort,
        clientId: this.spec.clientId,
        keepaliveSec: 30,
        maxPacket: this.spec.maxPacket,
      });
      this.mqtt = m;
      m.onMessage(function (topic, payload) {
        if (self.gen === g && self.mqtt === m) self.ev.onMessage(topic, payload);
      });
      m.onClose(function (err) {
        if (self.gen !== g || self.mqtt !== m) return;
        self.fail('broker connection lost' + (err ? ': ' + err : ''));
      });
      m.connect(function (err) {
        if (self.gen !== g || self.mqtt !== m) return;
        if (err) return self.fail('broker: ' + err);
        self.state = 'up';
        self.ev.onUp(m);
      });
    }

    private fail(msg: string): void {
      this.gen++;
      this.state = 'failed';
      this.ev.onFail(msg);
    }

    /** Tear the link down (idempotent); cb once the radio is down and, if asked, the register scrubbed. */
    close(cb: () => void): void {
      if (this.state === 'closed') return cb();
      this.closeCbs.push(cb);
      if (this.state === 'closing') return;
      this.gen++;
      this.state = 'closing';
      if (!this.busy) this.teardown();
    }

    private teardown(): void {
      const self = this;
      const m = this.mqtt;
      this.mqtt = null;
      const radioDown = function () {
        if (m) m.wipe();
        self.board.radio.disconnect(function () {
          if (!self.spec.scrubMac) return self.closed();
          const throwaway = newTmpMac(self.board.random);
          self.board.radio.setMac(throwaway, function () {
            // Whatever the outcome, the next session loads its own TmpMAC before it sends anything.
            wipe(throwaway);
            self.closed();
          });
        });
      };
      if (m) m.end(radioDown);
      else radioDown();
    }

    private closed(): void {
      if (this.state === 'closed') return;
      this.state = 'closed';
      const cbs = this.closeCbs;
      this.closeCbs = [];
      for (let i = 0; i < cbs.length; i++) cbs[i]();
    }
  }
  return RadioLink;
}

let built: ReturnType<typeof buildRadioLink> | null = null;

/** The class, created on the first call and kept from then on. */
export function radioLinkClass(): ReturnType<typeof buildRadioLink> {
  if (!built) built = buildRadioLink();
  return built;
}

export type RadioLink = InstanceType<ReturnType<typeof buildRadioLink>>;

/** `new RadioLink(...)` for host code and tests; the firmware constructs through radioLinkClass() and the bundler drops this. */
export const RadioLink = function (board: Board, cfg: PdaConfig, spec: LinkSpec, ev: LinkEvents) {
  const C = radioLinkClass();
  return new C(board, cfg, spec, ev);
} as unknown as new (board: Board, cfg: PdaConfig, spec: LinkSpec, ev: LinkEvents) => RadioLink;
