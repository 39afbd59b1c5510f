/* Names shared by the processes of the hood model: states, message types, cells, keys. */

/* PDA states (docs/protocol.md §8.1) plus home mode (paper §2.4) */
#define OFF 0
#define HOME 1
#define STARTING 2
#define LISTENING 3
#define JOINING 4
#define IN_SESSION 5
#define CLOSING 6
#define WIPED 7
#define ANON(i) (pda[i].st >= STARTING && pda[i].st <= CLOSING)

/* message types (docs/protocol.md §4); PAY/PAID are DATA on the payment channel */
#define M_ACCEPT 1
#define M_REFUSE 2
#define M_RENEW 3
#define M_REKEYED 4
#define M_BYE 5
#define M_DATA 6
#define M_PAID 7
#define M_REKEY 8
#define M_PAY 9
#define CODE(ty, arg) ((ty) * 16 + (arg))

#define R_TMPMAC 1
#define R_CAPACITY 2
#define R_STALE 3
#define R_BAD 4
#define BYE_NORMAL 0
#define BYE_IDLE 1
#define BYE_LIMIT 2
#define BYE_ACK 3
#define PAID_OK 1
#define PAID_SPENT 2

/* Cells. Uplink: kind 1 JOIN {k = K_BD, x = TmpMAC, y = beacon epoch, z = epk}
 *                kind 2 SESSION {k = upTag's K_BD, x = seq, y = type, z = arg, w = key set (incarnation)}.
 * Downlink: one copy per subscriber (the broker fans a topic out), to = PDA + 1,
 *   top = K_BD naming the topic, kt = key family (1 downKey(K_BD), 2 refuseKey(epk)),
 *   ka = epk (refuseKey) or key set (downKey), seq, ty, arg. */
#define J_CELL 1
#define S_CELL 2
#define K_DOWN 1
#define K_REFUSE 2

/* Timers are long against delivery (join 15 s, BYE 3 s, idle 120 s): a timer fires only when nothing
 * for its owner is in the air. A cell that arrives later is a replay (adversary.pml). */
#define UPQUIET(kk) (up[0].k != (kk) && up[1].k != (kk) && up[2].k != (kk))
#define DNQUIET_TO(i) (dn[0].to != (i) + 1 && dn[1].to != (i) + 1 && dn[2].to != (i) + 1)
#define DNQUIET_TOP(kk) (dn[0].top != (kk) && dn[1].top != (kk) && dn[2].top != (kk))
#define PDA_QUIET(i) (DNQUIET_TO(i) && UPQUIET(pda[i].kbd))
#define SESS_QUIET(s) (UPQUIET(sess[s].k) && DNQUIET_TOP(sess[s].k))

typedef UpCell { byte kind; byte k; byte x; byte y; byte z; byte w };
typedef DnCell { byte to; byte top; byte kt; byte ka; byte seq; byte ty; byte arg };

/* Abstract keys: which (key, nonce) pair seals which plaintext. A key is the family and its
 * origin: downKey / upKey of a K_BD incarnation, or refuseKey of one JOIN's ephemeral DH. */
#define DNKEY(k) (((k) - 1) * NINC + inc[k])
#define UPKEY(k, n) (NKBD * NINC + ((k) - 1) * NINC + (n))
#define REFKEY(e) (2 * NKBD * NINC + (e))
#define NKEYS (2 * NKBD * NINC + NEPK + 1)

typedef PdaT {
  byte st;      /* state */
  byte reg;     /* unicast address register: BURNED or a TmpMAC */
  bit assoc;    /* associated: the radio sends frames */
  bit home;     /* home link up (burned-in identity, paper §2.4) */
  byte mac;     /* TmpMAC of this attempt (secret of the session) */
  byte kbd;     /* current K_BD (0: none) */
  byte pend;    /* K_BD proposed in REKEY, until REKEYED */
  byte kinc;    /* which key set of kbd (learnt from ACCEPT / REKEYED) */
  byte epk;     /* ephemeral key of the last JOIN */
  byte tmpid;
  byte upseq;
  byte dwin;    /* downlink replay window of kbd (bit per seq) */
  byte pwin;    /* downlink replay window of pend */
  byte att;     /* attempts */
  byte pay;     /* 0 unpaid, 1 PAY sent, 2 PAY sent twice, 3 PAID received */
  bit sent;     /* DATA sent */
};

typedef SessT {
  bit live;
  byte k;       /* K_BD (its upTag indexes the table) */
  byte m;       /* TmpMAC */
  byte t;       /* TmpId */
  byte dseq;    /* next downlink seq */
  byte uwin;    /* uplink replay window */
  byte pay;     /* 0 none, 1 at the bank, 2 answered */
  byte payres;
};

typedef BankReq { byte coin; byte s; byte t };
