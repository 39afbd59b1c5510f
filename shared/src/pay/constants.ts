/** Payment on the air (docs/payment.md): DATA channels 0x10-0x1f, beacon extensions 1-2. */
export const CHANNEL_PAY = 0x10;
export const CHANNEL_PAID = 0x11;

/** PAID status codes. */
export const PAID_OK = 0;
export const PAID_INSUFFICIENT = 1;
export const PAID_FOREIGN_MINT = 2;
export const PAID_ALREADY_SPENT = 3;
export const PAID_MALFORMED = 4;
export const PAID_BANK_UNAVAILABLE = 5;
export const PAID_NOT_REQUIRED = 6;

/** BYE reason when paid time runs out (or was never bought). */
export const BYE_PAYMENT = 5;

export const PAY_ID_LEN = 8;
export const KEYSET_ID_LEN = 8;
export const POINT_LEN = 33;
export const MAX_PROOFS_PER_PAY = 5;
