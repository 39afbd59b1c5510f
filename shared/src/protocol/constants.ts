/**
 * Protocol v1 constants. The wire format is specified in docs/protocol.md; section numbers
 * below refer to that document, "paper" to Molina-Jiménez & Marshall, "True Anonymity Without Mixes".
 */

export const PROTOCOL_VERSION = 1;

/** Default cell size (bytes) for every up/down cell; the beacon advertises the MSS's value (§3). */
export const DEFAULT_CELL_SIZE = 512;
export const MIN_CELL_SIZE = 256;
export const MAX_CELL_SIZE = 4096;

/** Outer cell kinds (§3.1). */
export const KIND_JOIN = 1;
export const KIND_SESSION = 2;

/** Sizes of the outer cell parts (§3.2, §3.3). */
export const HEADER_LEN = 2; // version, kind
export const EPK_LEN = 32; // JOIN: ephemeral X25519 public key
export const TAG_LEN = 16; // SESSION: route tag (uplink) / topic tag (downlink)
export const SEQ_LEN = 4; // SESSION: per-direction sequence number
export const AEAD_TAG_LEN = 16; // Poly1305 tag (RFC 8439)
export const SESSION_HEADER_LEN = HEADER_LEN + TAG_LEN + SEQ_LEN;

/** Inner message types (§4). Payment and mail have no types of their own: they ride on DATA channels. */
export const MSG_JOIN = 0x01;
export const MSG_ACCEPT = 0x02;
export const MSG_REFUSE = 0x03;
export const MSG_RENEW = 0x04;
export const MSG_REKEY = 0x05;
export const MSG_REKEYED = 0x06;
export const MSG_BYE = 0x07;
export const MSG_DATA = 0x08;
/** Cover cell (§4, §3.5): sealed like any session cell, dropped by the receiver (Loopix-style cover traffic). */
export const MSG_COVER = 0x09;
/** COVER body: does the MSS answer it with one COVER cell (§3.5)? */
/**
 * RESUME (§4, §10): a JOIN that also presents a session ticket, sealed in a JOIN cell like any JOIN, to take
 * over a TmpId and its paid time after a hand-off to another MSS or a restart (paper §6.3).
 */
export const MSG_RESUME = 0x0a;
export const COVER_NO_ANSWER = 0;
export const COVER_ANSWER = 1;

/** REFUSE reasons (§4). */
export const REFUSE_TMPMAC_IN_USE = 1;
export const REFUSE_CAPACITY = 2;
export const REFUSE_STALE_BEACON = 3;
export const REFUSE_BAD_REQUEST = 4;
/** A RESUME whose ticket is unknown, spent, expired, of an MSS outside the federation, or not redeemed in time (§10). */
export const REFUSE_TICKET = 5;

/**
 * The text of each REFUSE reason. It is a function of the reason alone, so a REFUSE is fully determined by
 * its reason: together with the refuse key (one per JOIN) and nonce = reason, one (key, nonce) pair can only
 * ever seal one plaintext (§7.1, "one key, one nonce, once").
 */
export const REFUSE_TEXTS: { [reason: number]: string } = {
  1: 'TmpMAC in use; pick another',
  2: 'MSS full',
  3: 'beacon expired; rejoin',
  4: 'TmpMAC must be unicast, locally administered',
  5: 'session ticket refused',
};

/** BYE reasons (§4). */
export const BYE_NORMAL = 0;
export const BYE_IDLE_TIMEOUT = 1;
export const BYE_SESSION_LIMIT = 2;
export const BYE_ACK = 3;
export const BYE_SHUTDOWN = 4;

/** DATA channels (§4). Channel 0 is echo: the MSS returns the payload (liveness, benchmarks). */
export const CHANNEL_ECHO = 0;
/** Session tickets for hand-off and resumption (§10, docs/handoff.md): 0x40 both ways. */
export const CHANNEL_TICKET = 0x40;
/** Ticket parts (§10): the id the issuing MSS files it under, and the secret only the PDA holds. */
export const TICKET_ID_LEN = 16;
export const TICKET_SECRET_LEN = 32;

/** Replay window for SESSION cells (§5): cells older than the newest by this many are rejected. */
export const REPLAY_WINDOW = 32;

/** Lengths of JOIN fields (§4). */
export const KBD_LEN = 32;
export const MAC_LEN = 6;
export const JOIN_NONCE_LEN = 16;
export const BEACON_NONCE_LEN = 8;
export const TMPID_BYTES = 10; // 80 bits, 16 base32 characters

/** Beacon extension types (§2): price and accepted mint (docs/payment.md), mail domain (docs/mail.md). */
export const EXT_PRICE = 1;
export const EXT_MINT = 2;
export const EXT_MAIL_DOMAIN = 3;
/** Federation membership certificate (§2; docs/federation.md). */
export const EXT_FEDERATION = 4;

export const MAX_MSS_ID_LEN = 32;
export const MAX_REASON_TEXT = 64;
export const MAX_TMPID_LEN = 32;

/** Domain separation strings (§6). */
export const LABEL_BEACON_SIG = 'hood/v1 beacon';
export const LABEL_JOIN = 'hood/v1 join';
export const LABEL_REFUSE = 'hood/v1 refuse';
export const LABEL_SESSION = 'hood/v1 session';
export const LABEL_KBD_ID = 'hood/v1 kbd id';
