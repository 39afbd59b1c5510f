/**
 * Mail over DATA cells (docs/mail.md; paper steps 5–7 and §6.2). The protocol reserves DATA channels
 * 0x20–0x2f for mail (docs/protocol.md §4); these are the ones used.
 */

/** PDA -> MSS: fragments of a SEND (one message to one address). */
export const CH_MAIL_SEND = 0x20;
/** PDA -> MSS: single-cell control requests (drop-box registration, pickup). */
export const CH_MAIL_CTRL_UP = 0x21;
/** MSS -> PDA: fragments of a DELIVER (a reply, live or from the drop box). */
export const CH_MAIL_DELIVER = 0x22;
/** MSS -> PDA: single-cell STATUS answers. */
export const CH_MAIL_CTRL_DOWN = 0x23;

/** Kinds of reassembled messages and control cells (first byte). */
export const KIND_SEND = 0x01;
export const KIND_DELIVER = 0x02;
export const KIND_BOX = 0x10;
export const KIND_PICKUP = 0x11;
/** PDA -> MSS: a DELIVER was reassembled (its msgId); the MSS stops resending it (docs/mail.md §3, acknowledged DELIVER). */
export const KIND_ACK = 0x12;
export const KIND_STATUS = 0x20;

/** STATUS operations. */
export const OP_SEND = 1;
export const OP_BOX = 2;
export const OP_PICKUP = 3;
export const OP_FRAGMENT = 4;

/** STATUS codes (0 = ok). */
export const ST_OK = 0;
export const ST_BAD_REQUEST = 1;
export const ST_REPLAYED = 2;
export const ST_TOO_LARGE = 3;
export const ST_BUSY = 4;
export const ST_SMTP_FAILED = 5;
export const ST_LIMIT = 6;

/**
 * The MSS resends an unacknowledged DELIVER every DELIVER_RETRY_MS, DELIVER_TRIES sends in all: the
 * last goes out 18 s after the first, inside the PDA's REASSEMBLY_TIMEOUT_MS, so a resend always
 * continues the partial message the PDA holds (docs/mail.md §3, acknowledged DELIVER).
 */
export const DELIVER_RETRY_MS = 2000;
export const DELIVER_TRIES = 10;

/** DELIVER sources. */
export const SRC_LIVE = 0xff;

/** Fragment header: msgId[8] | index u8 | count u8 | totalLen u16. */
export const MSG_ID_LEN = 8;
export const FRAG_HEADER_LEN = MSG_ID_LEN + 4;
/** Hard caps shared by both sides; each side may configure lower limits. */
export const MAX_FRAGMENTS = 160;
export const MAX_MESSAGE_BYTES = 32768;
/** A message must be complete this long after its first fragment, or it is dropped. */
export const REASSEMBLY_TIMEOUT_MS = 30000;

/** Drop box: the PDA's pickup secret, the derived box id and at-rest key (docs/mail.md §5). */
export const PICKUP_SECRET_LEN = 32;
export const BOX_ID_LEN = 32;
export const BOX_KEY_LEN = 32;
export const LABEL_BOX = 'hood/v1 mail box';

/** The largest DATA payload a cell of the minimum size (256) carries (docs/protocol.md §4). */
export const MIN_DATA_PAYLOAD = 256 - 44;

/** Longest e-mail address accepted (RFC 5321 §4.5.3.1.3 path limit). */
export const MAX_ADDRESS_LEN = 254;
