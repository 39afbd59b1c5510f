/*
 * Doug's MSS (docs/protocol.md §7; host/mss/core.ts). Every uplink cell is handled in one atomic
 * step, in the admission order of §7.1. Lines starting "HOOD " are the MSS's decisions; random
 * simulations print them and host/model/conformance.ts replays them against MssCore.
 */

#define FRESH(ep) ((ep) == epoch || (ep) + 1 == epoch)

inline scan(kk) {         /* h: 1 + slot of the live session holding K_BD kk; mu: TmpMAC x in use; nl: live */
  h = 0; mu = 0; nl = 0; j = 0;
  do
  :: j < MAXSESS ->
     if
     :: sess[j].live ->
        nl++;
        if :: sess[j].k == (kk) -> h = j + 1 :: else -> skip fi;
        if :: sess[j].m == x -> mu = 1 :: else -> skip fi
     :: else -> skip
     fi;
     j++
  :: else -> break
  od;
  j = 0
}

inline bumpInc(kk) {      /* a K_BD the MSS had retired is in use again: a new incarnation */
  if
  :: everLive[kk] -> inc[kk]++; assert(inc[kk] < NINC)
  :: else -> everLive[kk] = 1
  fi
}

inline sendS(sl, ty_, ag) {   /* under the session's downKey at its next downlink seq */
  seal(DNKEY(sess[sl].k), sess[sl].dseq, CODE(ty_, ag));
  emit(sess[sl].k, K_DOWN, inc[sess[sl].k], sess[sl].dseq, ty_, ag);
  sess[sl].dseq++
}

inline erase(sl) {            /* paper step 8: keys overwritten, nothing of the session kept */
  sess[sl].live = 0; sess[sl].k = 0; sess[sl].m = 0; sess[sl].t = 0; sess[sl].dseq = 0;
  sess[sl].uwin = 0; sess[sl].pay = 0; sess[sl].payres = 0;
  j = 0;
  do
  :: j < NPDA -> if :: bq[j].s == sl + 1 -> bq[j].s = 0; bq[j].t = 0 :: else -> skip fi; j++
  :: else -> break
  od;
  j = 0
}

inline refuse(r) {
  printf("HOOD JOIN %d %d %d %d R %d 0\n", k, x, y, z, r);
#ifdef MUT_OLD_REFUSE
  /* the old behaviour: under the newcomer's K_BD keys at seq 0 */
  seal(DNKEY(k), 0, CODE(M_REFUSE, r));
  emit(k, K_DOWN, inc[k], 0, M_REFUSE, r)
#else
  /* under refuseKey(JOIN) (its own ephemeral DH), nonce = reason, fixed text per reason */
  seal(REFKEY(z), r, CODE(M_REFUSE, r));
  emit(k, K_REFUSE, z, r, M_REFUSE, r)
#endif
}

inline admit() {
  if
  :: FRESH(y) && seen[z] != 0 && seen[z] >= epoch ->
     printf("HOOD JOIN %d %d %d %d I 1 0\n", k, x, y, z)        /* join_replay: no answer */
  :: else ->
     if :: FRESH(y) -> seen[z] = y + 1 :: else -> skip fi;
     scan(k);
#ifdef MUT_NO_RENEW
     h = 0;                                                     /* the K_BD-in-use rule left out */
#endif
     if
     :: h != 0 && !FRESH(y) ->
        printf("HOOD JOIN %d %d %d %d I 2 0\n", k, x, y, z)     /* an old JOIN replayed after its epoch */
     :: h != 0 && FRESH(y) ->
        s = h - 1;                                              /* paper step 3: RENEW to the holder */
        printf("HOOD JOIN %d %d %d %d N %d %d\n", k, x, y, z, inc[k], sess[s].dseq);
        sendS(s, M_RENEW, 0)
     :: h == 0 && !FRESH(y) -> refuse(R_STALE)
     :: h == 0 && FRESH(y) && x == BAD_MAC -> refuse(R_BAD)
     :: h == 0 && FRESH(y) && x != BAD_MAC && mu -> refuse(R_TMPMAC)
     :: h == 0 && FRESH(y) && x != BAD_MAC && !mu && nl >= MAXSESS -> refuse(R_CAPACITY)
     :: h == 0 && FRESH(y) && x != BAD_MAC && !mu && nl < MAXSESS ->
        /* TmpId: random, redrawn while in use */
        tu = 0; j = 0;
        do
        :: j < MAXSESS -> if :: sess[j].live -> tu = tu | (1 << sess[j].t) :: else -> skip fi; j++
        :: else -> break
        od;
        if
        :: (tu & 2) == 0 -> t = 1
        :: (tu & 4) == 0 -> t = 2
        :: (tu & 8) == 0 -> t = 3
        fi;
        s = 0;
        do
        :: sess[s].live -> s++
        :: else -> break
        od;
        sess[s].live = 1; sess[s].k = k; sess[s].m = x; sess[s].t = t;
        sess[s].dseq = 0; sess[s].uwin = 0; sess[s].pay = 0; sess[s].payres = 0;
        bumpInc(k);
        printf("HOOD JOIN %d %d %d %d A %d %d\n", k, x, y, z, t, inc[k]);
        sendS(s, M_ACCEPT, t);
        tu = 0; j = 0
     fi
  fi
}

inline sessionCell() {
  scan(k);
  if
  :: h == 0 || w != inc[k] -> printf("HOOD UP %d %d %d %d %d U 0 0\n", k, w, x, y, z)   /* unknown_session */
  :: h != 0 && w == inc[k] && (sess[h - 1].uwin & (1 << x)) != 0 ->
     printf("HOOD UP %d %d %d %d %d P 0 0\n", k, w, x, y, z)                  /* replay */
  :: else ->
     s = h - 1;
     sess[s].uwin = sess[s].uwin | (1 << x);
     if
     :: y == M_DATA ->
        printf("HOOD UP %d %d %d %d %d D %d 0\n", k, w, x, y, z, sess[s].dseq);
        sendS(s, M_DATA, 0)                                             /* echo */
     :: y == M_PAY ->
        printf("HOOD UP %d %d %d %d %d D %d %d\n", k, w, x, y, z, sess[s].dseq, sess[s].pay == 2);
        if
        :: sess[s].pay == 0 ->                                          /* swap at the bank first */
           sess[s].pay = 1;
           j = 0;
           do
           :: bq[j].coin != 0 -> j++
           :: else -> break
           od;
           bq[j].coin = z; bq[j].s = s + 1; bq[j].t = sess[s].t;
           j = 0
        :: sess[s].pay == 1 -> skip                                     /* same PAY again: still at the bank */
        :: sess[s].pay == 2 -> sendS(s, M_PAID, sess[s].payres)         /* same answer, nothing paid twice */
        fi
     :: y == M_REKEY ->
        h = 0; scan(z);
        if
        :: h != 0 -> printf("HOOD UP %d %d %d %d %d C 0 0\n", k, w, x, y, z)  /* new K_BD in use: silent */
        :: else ->
           sess[s].k = z; bumpInc(z); sess[s].dseq = 0; sess[s].uwin = 0;
           printf("HOOD UP %d %d %d %d %d K %d 0\n", k, w, x, y, z, inc[z]);
           sendS(s, M_REKEYED, 0)
        fi
     :: y == M_BYE ->
        printf("HOOD UP %d %d %d %d %d B %d 0\n", k, w, x, y, z, sess[s].dseq);
        sendS(s, M_BYE, BYE_ACK);
        erase(s)
     fi
  fi
}

inline handleUp(c) {
  k = up[c].k; x = up[c].x; y = up[c].y; z = up[c].z; w = up[c].w;
  if
  :: up[c].kind == J_CELL -> up[c].kind = 0; up[c].k = 0; up[c].x = 0; up[c].y = 0; up[c].z = 0; up[c].w = 0; admit()
  :: up[c].kind == S_CELL -> up[c].kind = 0; up[c].k = 0; up[c].x = 0; up[c].y = 0; up[c].z = 0; up[c].w = 0; sessionCell()
  fi;
  k = 0; x = 0; y = 0; z = 0; w = 0; h = 0; mu = 0; nl = 0; s = 0; t = 0
}

inline timeoutS(sl) {          /* paper step 8: idle or absolute limit */
#ifdef SIM
  if :: r = BYE_IDLE :: r = BYE_LIMIT fi;       /* the two limits behave alike; simulations show both */
#else
  r = BYE_IDLE;
#endif
  printf("HOOD TICK %d %d %d %d\n", sess[sl].k, inc[sess[sl].k], r, sess[sl].dseq);
  sendS(sl, M_BYE, r);
  erase(sl);
  r = 0
}

inline settle(b) {             /* the bank answers a swap */
  cn = bq[b].coin;
#ifdef MUT_NO_SPENT_CHECK
  spent[cn] = 1; till[cn]++; r = PAID_OK;
#else
  if
  :: spent[cn] -> r = PAID_SPENT
  :: else -> spent[cn] = 1; till[cn]++; r = PAID_OK
  fi;
#endif
  s = bq[b].s;
  if
  :: s != 0 && sess[s - 1].live && sess[s - 1].t == bq[b].t && sess[s - 1].pay == 1 ->
     printf("HOOD BANK %d %d %d %d %d\n", cn, r, sess[s - 1].k, inc[sess[s - 1].k], sess[s - 1].dseq);
     sess[s - 1].pay = 2; sess[s - 1].payres = r; sendS(s - 1, M_PAID, r)
  :: else ->                   /* the session ended meanwhile; the coin stays in the till */
     printf("HOOD BANK %d %d 0 0 0\n", cn, r)
  fi;
  bq[b].coin = 0; bq[b].s = 0; bq[b].t = 0;
  cn = 0; r = 0; s = 0
}

inline rotate() {              /* a new beacon nonce; JOINs older than the previous one are forgotten */
  epoch++;
  j = 1;
  do
  :: j <= NEPK -> if :: seen[j] != 0 && seen[j] < epoch -> seen[j] = 0 :: else -> skip fi; j++
  :: else -> break
  od;
  j = 0;
  printf("HOOD ROT %d\n", epoch)
}

active proctype Mss() {
  byte tmp, k, x, y, z, w, h, mu, nl, s, t, tu, r, cn, u, j;
end_mss:
  do
  :: atomic { up[0].kind != 0 -> handleUp(0); normAir() }
#if UPN > 1
  :: atomic { up[1].kind != 0 -> handleUp(1); normAir() }
#endif
#if UPN > 2
  :: atomic { up[2].kind != 0 -> handleUp(2); normAir() }
#endif
  :: atomic { epoch < MAXEP -> rotate(); normAir() }
  :: atomic { sess[0].live && SESS_QUIET(0) -> timeoutS(0); normAir() }
#if MAXSESS > 1
  :: atomic { sess[1].live && SESS_QUIET(1) -> timeoutS(1); normAir() }
#endif
  :: atomic { bq[0].coin != 0 -> settle(0); normAir() }
#if NPDA > 1
  :: atomic { bq[1].coin != 0 -> settle(1); normAir() }
#endif
#if NPDA > 2
  :: atomic { bq[2].coin != 0 -> settle(2); normAir() }
#endif
  od
}
