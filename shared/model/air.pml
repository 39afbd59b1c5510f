/*
 * The air between the PDAs and the MSS (docs/protocol.md §1): a few cell slots per direction. Any
 * receiver may take any slot (reordering); the adversary drops, duplicates and replays (adversary.pml).
 * A full air loses the cell (QoS 0). Downlink cells are copied to every PDA subscribed to the topic,
 * as the broker fans a topic out; a topic nobody subscribes to loses the cell.
 */

inline upSend(kd, a, b, c_, d, w_) {
  u = 0;
  do
  :: u < UPN && up[u].kind != 0 -> u++
  :: u < UPN && up[u].kind == 0 ->
     up[u].kind = kd; up[u].k = a; up[u].x = b; up[u].y = c_; up[u].z = d; up[u].w = w_;
     break
  :: u == UPN -> break
  od;
  u = 0
}

/* The air is a multiset: keep its slots sorted (empty slots last) so that one multiset of cells is
 * one state, whatever order the cells came in. */
#define UKEY(c) (((((up[c].kind * 8 + up[c].k) * 8 + up[c].x) * 16 + up[c].y) * 8 + up[c].z) * 4 + up[c].w)
#define DKEY(c) ((((((dn[c].to * 8 + dn[c].top) * 4 + dn[c].kt) * 8 + dn[c].ka) * 8 + dn[c].seq) * 16 + dn[c].ty) * 8 + dn[c].arg)
inline swapUp(a, b) {
  if
  :: UKEY(a) < UKEY(b) ->
     tmp = up[a].kind; up[a].kind = up[b].kind; up[b].kind = tmp;
     tmp = up[a].k; up[a].k = up[b].k; up[b].k = tmp;
     tmp = up[a].x; up[a].x = up[b].x; up[b].x = tmp;
     tmp = up[a].y; up[a].y = up[b].y; up[b].y = tmp;
     tmp = up[a].z; up[a].z = up[b].z; up[b].z = tmp;
     tmp = up[a].w; up[a].w = up[b].w; up[b].w = tmp
  :: else -> skip
  fi
}
inline swapDn(a, b) {
  if
  :: DKEY(a) < DKEY(b) ->
     tmp = dn[a].to; dn[a].to = dn[b].to; dn[b].to = tmp;
     tmp = dn[a].top; dn[a].top = dn[b].top; dn[b].top = tmp;
     tmp = dn[a].kt; dn[a].kt = dn[b].kt; dn[b].kt = tmp;
     tmp = dn[a].ka; dn[a].ka = dn[b].ka; dn[b].ka = tmp;
     tmp = dn[a].seq; dn[a].seq = dn[b].seq; dn[b].seq = tmp;
     tmp = dn[a].ty; dn[a].ty = dn[b].ty; dn[b].ty = tmp;
     tmp = dn[a].arg; dn[a].arg = dn[b].arg; dn[b].arg = tmp
  :: else -> skip
  fi
}
/* Sorting networks for UPN = DNN = 3. */
inline normAir() {
  swapUp(0, 1); swapUp(1, 2); swapUp(0, 1);
  swapDn(0, 1); swapDn(1, 2); swapDn(0, 1);
  tmp = 0
}

inline emit(tp, kt_, ka_, sq, ty_, ag) {
  j = 0;
  do
  :: j < NPDA ->
     if
     :: (pda[j].st == JOINING || pda[j].st == IN_SESSION || pda[j].st == CLOSING) &&
        (pda[j].kbd == (tp) || pda[j].pend == (tp)) ->
        u = 0;
        do
        :: u < DNN && dn[u].to != 0 -> u++
        :: u < DNN && dn[u].to == 0 ->
           dn[u].to = j + 1; dn[u].top = tp; dn[u].kt = kt_; dn[u].ka = ka_;
           dn[u].seq = sq; dn[u].ty = ty_; dn[u].arg = ag;
           break
        :: u == DNN -> break
        od
     :: else -> skip
     fi;
     j++
  :: else -> break
  od;
  j = 0;
  u = 0
}

/* One (key, nonce) pair never seals two different plaintexts: ChaCha20-Poly1305 (RFC 8439 §4)
 * loses confidentiality and integrity otherwise. Checked on every seal, both directions.
 * Session keys: nonces are used in rising order (hw = next unused nonce), and nonce 0 — the one a
 * replayed JOIN could make the MSS use again — keeps its plaintext (c0), so sealing it again is
 * allowed only with the same plaintext. refuseKey(JOIN): nonce = reason, plaintext fixed per reason. */
inline seal(key, n, code) {
  assert((n) < NSEQ);
  if
  :: (key) >= REFKEY(0) ->
     assert((code) == CODE(M_REFUSE, n))
  :: else ->
     assert((n) >= hw[key] || ((n) == 0 && c0[key] == (code)));
     if :: (n) == 0 -> c0[key] = code :: else -> skip fi;
     if :: (n) >= hw[key] -> hw[key] = (n) + 1 :: else -> skip fi
  fi
}
