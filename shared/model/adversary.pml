/*
 * Ebe and the channel (paper §3: Ebe overhears everything): drops, duplicates and replays cells,
 * and forges JOINs of his own. Each power has a budget, so the channel eventually delivers
 * (the fairness assumption of the liveness properties). Reordering needs no action: receivers take
 * any cell in the air.
 */

inline dropUp(c) { up[c].kind = 0; up[c].k = 0; up[c].x = 0; up[c].y = 0; up[c].z = 0; up[c].w = 0 }
inline dropDn(c) { dn[c].to = 0; dn[c].top = 0; dn[c].kt = 0; dn[c].ka = 0; dn[c].seq = 0; dn[c].ty = 0; dn[c].arg = 0 }

inline dupDn(c) {
  u = 0;
  do
  :: u < DNN && dn[u].to != 0 -> u++
  :: u < DNN && dn[u].to == 0 ->
     dn[u].to = dn[c].to; dn[u].top = dn[c].top; dn[u].kt = dn[c].kt; dn[u].ka = dn[c].ka;
     dn[u].seq = dn[c].seq; dn[u].ty = dn[c].ty; dn[u].arg = dn[c].arg;
     break
  :: u == DNN -> break
  od;
  u = 0
}

/* With the replay budget spent, the recording is of no use: forget it (fewer distinct states). */
inline forget() {
  if
  :: replays >= REPLAYS ->
     e = 0;
     do
     :: e <= NEPK -> hist[e].kind = 0; hist[e].k = 0; hist[e].x = 0; hist[e].y = 0; hist[e].z = 0; hist[e].w = 0; e++
     :: else -> break
     od;
     e = 0;
     oldS.kind = 0; oldS.k = 0; oldS.x = 0; oldS.y = 0; oldS.z = 0; oldS.w = 0
  :: else -> skip
  fi
}

/* Paper step 3: "if it is correct but has been assigned to an existing user". A newcomer whose
 * K_BD equals a live session's, with a valid TmpMAC, answering the current beacon. */
inline joinAs(kk) {
  if
  :: replays < REPLAYS ->
     hist[nextEpk].kind = J_CELL; hist[nextEpk].k = kk; hist[nextEpk].x = 1;
     hist[nextEpk].y = epoch; hist[nextEpk].z = nextEpk
  :: else -> skip
  fi;
  upSend(J_CELL, kk, 1, epoch, nextEpk, 0)
}

active proctype Adversary() {
  byte tmp, u, j, e;
end_adv:
  do
  :: atomic { drops < DROPS && up[0].kind != 0 -> drops++; dropUp(0); normAir() }
  :: atomic { drops < DROPS && up[1].kind != 0 -> drops++; dropUp(1); normAir() }
  :: atomic { drops < DROPS && up[2].kind != 0 -> drops++; dropUp(2); normAir() }
  :: atomic { drops < DROPS && dn[0].to != 0 -> drops++; dropDn(0); normAir() }
  :: atomic { drops < DROPS && dn[1].to != 0 -> drops++; dropDn(1); normAir() }
  :: atomic { drops < DROPS && dn[2].to != 0 -> drops++; dropDn(2); normAir() }
  :: atomic { dups < DUPS && up[0].kind != 0 -> dups++; upSend(up[0].kind, up[0].k, up[0].x, up[0].y, up[0].z, up[0].w); normAir() }
  :: atomic { dups < DUPS && up[1].kind != 0 -> dups++; upSend(up[1].kind, up[1].k, up[1].x, up[1].y, up[1].z, up[1].w); normAir() }
  :: atomic { dups < DUPS && dn[0].to != 0 -> dups++; dupDn(0); normAir() }
  :: atomic { dups < DUPS && dn[1].to != 0 -> dups++; dupDn(1); normAir() }
  :: atomic { replays < REPLAYS && nextEpk > 0 ->       /* an old JOIN, recorded off the air */
       replays++;
       e = 1;
       do
       :: e < nextEpk -> e++
       :: break
       od;
       upSend(J_CELL, hist[e].k, hist[e].x, hist[e].y, e, 0);
       e = 0;
       forget(); normAir() }
  :: atomic { replays < REPLAYS && oldS.kind != 0 ->    /* an old SESSION cell */
       replays++; upSend(S_CELL, oldS.k, oldS.x, oldS.y, oldS.z, oldS.w); forget(); normAir() }
  :: atomic { rogues < ROGUE && nextK < NKBD && nextEpk < NEPK ->   /* Ebe's own JOIN, bad TmpMAC */
       rogues++; nextK++; nextEpk++;
       hist[nextEpk].kind = J_CELL; hist[nextEpk].k = nextK; hist[nextEpk].x = BAD_MAC;
       hist[nextEpk].y = epoch; hist[nextEpk].z = nextEpk;
       upSend(J_CELL, nextK, BAD_MAC, epoch, nextEpk, 0); normAir() }
  :: atomic { collisions < MAXCOLL && nextEpk < NEPK && sess[0].live ->  /* a JOIN with a live K_BD */
       collisions++; nextEpk++; joinAs(sess[0].k); normAir() }
#if MAXSESS > 1
  :: atomic { collisions < MAXCOLL && nextEpk < NEPK && sess[1].live ->
       collisions++; nextEpk++; joinAs(sess[1].k); normAir() }
#endif
  od
}
