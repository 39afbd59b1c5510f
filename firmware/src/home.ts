/**
 * Non-anonymous ("home") mode, paper §2.4: the PDA is on the network as itself. It uses its home
 * identity — the burned-in MAC the board booted with, a fixed hostname and a fixed MQTT client id, both
 * derived from that MAC the way stock ESP32 firmware derives them ("esp32-XXXXXX") — so whoever runs the
 * network can recognise it, exactly as with any ordinary device. Nothing of this identity may ever be
 * used in anonymous mode: the home link holds the radio (link.ts RadioOwner) from `start` until it is
 * fully down, an anonymous session cannot take the radio before that, and the session loads a fresh
 * TmpMAC while the radio is down. Callbacks of an ended home link do nothing (link.ts generations), so
 * a home link ended while associating can never go on to open MQTT under the home client id.
 *
 * Runs on Espruino: callbacks only.
 */
import { copyBytes, toHex } from '../../shared/src/bytes';
import { formatMac } from '../../shared/src/tmpmac';
import type { Board } from './board';
import type { PdaConfig } from './config';
import type { EventSink } from './events';
import { claimRadio, radioLinkClass, radioOwner, type RadioLink } from './link';

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

export type HomeState = 'off' | 'connecting' | 'connected' | 'closing';

/**
 * The class is made inside buildHomeLink(), when home mode first starts (homeLinkClass()), not at
 * boot: on Espruino every method that exists costs variables (docs/crypto-speed.md, variables after boot).
 */
function buildHomeLink() {
  class HomeLink {
    state: HomeState = 'off';
    private board: Board;
    private cfg: PdaConfig;
    private emit: EventSink;
    private id: HomeIdentity;
    private link: RadioLink | null = null;
    private endCbs: (() => void)[] = [];

    constructor(board: Board, cfg: PdaConfig, emit: EventSink, id: HomeIdentity) {
      this.board = board;
      this.cfg = cfg;
      this.emit = emit;
      this.id = id;
    }

    /**
     * Put the burned-in address back (an anonymous session may have left a throwaway), associate,
     * connect. False (and an `error` event, code radio_busy) while an anonymous session holds the radio.
     */
    start(): boolean {
      if (this.state !== 'off') throw new Error('home link already ' + this.state);
      if (!claimRadio(this.board, 'home', this.emit)) return false;
      const self = this;
      this.state = 'connecting';
      const Link = radioLinkClass();
    const l = new Link(this.board, this.cfg, { mac: copyBytes(this.id.mac), hostname: this.id.hostname, clientId: this.id.clientId, maxPacket: 4096, scrubMac: false }, {
        onUp: function () {
          if (self.link !== l) return;
          self.state = 'connected';
          self.emit({ ev: 'home', state: 'connected', mac: formatMac(self.id.mac), hostname: self.id.hostname, clientId: self.id.clientId });
        },
        onMessage: function () {},
        onFail: function (msg) {
          if (self.link !== l) return;
          self.emit({ ev: 'error', code: 'home_failed', msg: msg });
          self.end(function () {});
        },
      });
      this.link = l;
      l.open();
      return true;
    }

    /** Close the broker connection and take the radio down; cb when the link is fully off. */
    end(cb: () => void): void {
      if (this.state === 'off') return cb();
      this.endCbs.push(cb);
      if (this.state === 'closing') return;
      const self = this;
      const l = this.link;
      this.link = null;
      this.state = 'closing';
      const off = function () {
        self.state = 'off';
        radioOwner(self.board).release('home');
        self.emit({ ev: 'home', state: 'off' });
        const cbs = self.endCbs;
        self.endCbs = [];
        for (let i = 0; i < cbs.length; i++) cbs[i]();
      };
      if (l) l.close(off);
      else off();
    }
  }
  return HomeLink;
}

let built: ReturnType<typeof buildHomeLink> | null = null;

/** The class, created on the first call and kept from then on. */
export function homeLinkClass(): ReturnType<typeof buildHomeLink> {
  if (!built) built = buildHomeLink();
  return built;
}

export type HomeLink = InstanceType<ReturnType<typeof buildHomeLink>>;

/** `new HomeLink(...)` for host code and tests; the firmware constructs through homeLinkClass() and the bundler drops this. */
export const HomeLink = function (board: Board, cfg: PdaConfig, emit: EventSink, id: HomeIdentity) {
  const C = homeLinkClass();
  return new C(board, cfg, emit, id);
} as unknown as new (board: Board, cfg: PdaConfig, emit: EventSink, id: HomeIdentity) => HomeLink;
