/*
 * Bob's PDA (docs/protocol.md §8; firmware/src/session.ts, firmware/src/home.ts). One process per
 * PDA; every step is atomic. Home mode (paper §2.4) uses the burned-in address; the anonymous
 * session loads a TmpMAC, reads it back, and only then associates (paper §5).
 */

#define COIN(i) ((i) % NCOIN + 1)

/* Every frame leaves through here: in anonymous mode never with the burned-in address. */
inline tx(i) {
  assert(!(ANON(i) && pda[i].reg == BURNED))
}

/* K_BD (paper step 2): 256 fresh random bits. Collisions with a live session's K_BD are made by
 * the adversary (adversary.pml): an honest PDA that drew one would take the holder's ACCEPT (see
 * docs/model.md, "findings"), which the protocol leaves to the size of K_BD. */
inline drawK(i) {
  kk = 0;
  if
  :: nextK < NKBD -> nextK++; kk = nextK
  :: else -> skip
  fi
}

/* Step 6 of §8.1: overwrite every secret of the session. */
inline wipeSecrets(i) {
  pda[i].kbd = 0; pda[i].pend = 0; pda[i].kinc = 0; pda[i].epk = 0; pda[i].tmpid = 0; pda[i].mac = 0;
  pda[i].upseq = 0; pda[i].dwin = 0; pda[i].pwin = 0
}

inline wipeP(i) {
  pda[i].assoc = 0;          /* MQTT and radio down */
  wipeSecrets(i);
  pda[i].pay = 0; pda[i].sent = 0; pda[i].att = 0;
  pda[i].st = WIPED
}

inline join(i) {
  drawK(i);
  if
  :: kk == 0 || nextEpk >= NEPK -> wipeP(i)               /* bound of the model: no more draws */
  :: else ->
     pda[i].kbd = kk; kk = 0;
     nextEpk++; pda[i].epk = nextEpk;
     pda[i].dwin = 0; pda[i].upseq = 0;
     pda[i].st = JOINING;
     if
     :: replays < REPLAYS ->                              /* recorded off the air by Ebe */
        hist[nextEpk].kind = J_CELL; hist[nextEpk].k = pda[i].kbd; hist[nextEpk].x = pda[i].mac;
        hist[nextEpk].y = epoch; hist[nextEpk].z = nextEpk
     :: else -> skip
     fi;
     tx(i);
     upSend(J_CELL, pda[i].kbd, pda[i].mac, epoch, nextEpk, 0)
  fi
}

inline newAttempt(i) {
  pda[i].att++;
  if
  :: pda[i].att > MAXATT -> wipeP(i)                      /* give up: a definite outcome */
  :: else ->
     if :: pda[i].mac = 1 :: pda[i].mac = 2 fi;           /* random TmpMAC (collisions: 2 values) */
#ifdef MUT_MAC_AFTER_ASSOC
     pda[i].assoc = 1; tx(i);                             /* associates first ... */
     pda[i].reg = pda[i].mac;                             /* ... and loads the TmpMAC after */
#else
     pda[i].reg = pda[i].mac;                             /* load the register */
     assert(pda[i].reg == pda[i].mac);                    /* read it back before anything is sent */
     pda[i].assoc = 1; tx(i);                             /* association, DHCP, MQTT CONNECT */
#endif
     pda[i].st = LISTENING;
     join(i)                                              /* the retained beacon is there at once */
  fi
}

inline sendUp(i, ty_, ag) {
  seal(UPKEY(pda[i].kbd, pda[i].kinc), pda[i].upseq, CODE(ty_, ag));
  tx(i);
  upSend(S_CELL, pda[i].kbd, pda[i].upseq, ty_, ag, pda[i].kinc);
  if
  :: replays < REPLAYS -> oldS.kind = S_CELL; oldS.k = pda[i].kbd; oldS.x = pda[i].upseq; oldS.y = ty_; oldS.z = ag; oldS.w = pda[i].kinc
  :: else -> skip
  fi;
  pda[i].upseq++
}

inline onRefuse(i, rr) {
  if
  :: rr == R_TMPMAC || rr == R_STALE ->                  /* new TmpMAC, new client id, new K_BD */
     pda[i].assoc = 0;
     wipeSecrets(i);
     pda[i].st = STARTING;
     newAttempt(i)
  :: else -> wipeP(i)                                     /* capacity, bad request: give up */
  fi
}

inline renew(i) {                                         /* RENEW: propose a new K_BD */
  drawK(i);
  if
  :: kk != 0 -> pda[i].pend = kk; pda[i].pwin = 0; kk = 0; sendUp(i, M_REKEY, pda[i].pend)
  :: else -> skip
  fi
}

inline onCur(i) {
  if
  :: pda[i].st == JOINING && dty == M_ACCEPT -> pda[i].tmpid = darg; pda[i].kinc = dka; pda[i].st = IN_SESSION
  :: pda[i].st == JOINING && dty == M_REFUSE -> onRefuse(i, darg)
  :: pda[i].st == IN_SESSION && dty == M_PAID ->
     assert(darg != PAID_OK || till[COIN(i)] == 1);      /* the coin that bought time is in the till */
     pda[i].pay = 3
  :: pda[i].st == IN_SESSION && dty == M_RENEW && pda[i].pend == 0 -> renew(i)
  :: pda[i].st == IN_SESSION && dty == M_BYE -> wipeP(i)
  :: pda[i].st == CLOSING && dty == M_BYE -> wipeP(i)
  :: else -> skip                                         /* unexpected_type: counted, ignored */
  fi
}

inline onDown(i, c) {
  dtop = dn[c].top; dkt = dn[c].kt; dka = dn[c].ka; dseq = dn[c].seq; dty = dn[c].ty; darg = dn[c].arg;
  dn[c].to = 0; dn[c].top = 0; dn[c].kt = 0; dn[c].ka = 0; dn[c].seq = 0; dn[c].ty = 0; dn[c].arg = 0;
  if
  :: dtop == pda[i].kbd && dkt == K_DOWN && (pda[i].st == JOINING || dka == pda[i].kinc) && (pda[i].dwin & (1 << dseq)) == 0 ->
     pda[i].dwin = pda[i].dwin | (1 << dseq);
     onCur(i)
  :: dtop == pda[i].kbd && dkt == K_REFUSE && dka == pda[i].epk && pda[i].st == JOINING ->
     onRefuse(i, darg)
  :: pda[i].pend != 0 && dtop == pda[i].pend && dkt == K_DOWN && (pda[i].pwin & (1 << dseq)) == 0 ->
     pda[i].pwin = pda[i].pwin | (1 << dseq);
     if
     :: dty == M_REKEYED && pda[i].st == IN_SESSION ->   /* switch keys, erase the old ones */
        pda[i].kbd = pda[i].pend; pda[i].kinc = dka; pda[i].dwin = pda[i].pwin; pda[i].pend = 0; pda[i].pwin = 0;
        pda[i].upseq = 0
     :: else -> skip
     fi
  :: else -> skip                                         /* wrong key, replay: counted, ignored */
  fi;
  dtop = 0; dkt = 0; dka = 0; dseq = 0; dty = 0; darg = 0
}

proctype Pda(byte i) {
  byte tmp, kk, u, j, dtop, dkt, dka, dseq, dty, darg;
  do
  :: atomic { pda[i].st == OFF ->
       if
       :: i == 0 ->                                       /* home mode first: the burned-in identity ... */
          pda[i].st = HOME; pda[i].reg = BURNED; pda[i].assoc = 1; tx(i);
          pda[i].assoc = 0; pda[i].st = OFF; homeDone = 1  /* ... ends before anonymous mode starts */
       :: else -> skip
       fi;
       pda[i].st = STARTING; newAttempt(i); normAir() }
  :: atomic { pda[i].st == JOINING && PDA_QUIET(i) ->     /* join timer: new K_BD */
       pda[i].att++;
       if
       :: pda[i].att > MAXATT -> wipeP(i)
       :: else -> pda[i].kbd = 0; pda[i].epk = 0; pda[i].st = LISTENING; join(i)
       fi; normAir() }
  :: atomic { pda[i].st == IN_SESSION && !pda[i].sent ->   /* DATA (mail), and PAY (paper step 4) */
       pda[i].sent = 1; sendUp(i, M_DATA, 0);
       if :: PAYING -> pda[i].pay = 1; sendUp(i, M_PAY, COIN(i)) :: else -> skip fi; normAir() }
  :: atomic { pda[i].st == IN_SESSION && pda[i].pay == 1 -> /* no PAID yet: the same PAY again */
       pda[i].pay = 2; sendUp(i, M_PAY, COIN(i)); normAir() }
  :: atomic { pda[i].st == IN_SESSION && pda[i].sent -> sendUp(i, M_BYE, BYE_NORMAL); pda[i].st = CLOSING; normAir() }
  :: atomic { pda[i].st == CLOSING && PDA_QUIET(i) -> wipeP(i); normAir() }          /* no BYE(3) within 3 s */
  :: atomic { dn[0].to == i + 1 -> onDown(i, 0); normAir() }
#if DNN > 1
  :: atomic { dn[1].to == i + 1 -> onDown(i, 1); normAir() }
#endif
#if DNN > 2
  :: atomic { dn[2].to == i + 1 -> onDown(i, 2); normAir() }
#endif
#if DNN > 3
  :: atomic { dn[3].to == i + 1 -> onDown(i, 3); normAir() }
#endif
  :: pda[i].st == WIPED -> break
  od
}
