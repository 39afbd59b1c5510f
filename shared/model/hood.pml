/*
 * The hood protocol (docs/protocol.md; "True Anonymity Without Mixes", steps 1-4 and 8, §5) in
 * Promela, for Spin. What is modelled and what is abstracted away: docs/model.md.
 *
 *   spin -a hood.pml && gcc -O2 -DSAFETY -DNOCLAIM -o pan pan.c && ./pan      safety
 *   gcc -O2 -o pan pan.c && ./pan -a -f -N join_outcome                         liveness
 *   spin -DMUT_OLD_REFUSE -a hood.pml ...                                       a mutant
 *
 * Mutants (each reintroduces a known bug; Spin must find a counterexample):
 *   MUT_OLD_REFUSE       REFUSE sealed under the newcomer's K_BD keys at seq 0
 *   MUT_NO_RENEW         the K_BD-in-use rule (silence + RENEW to the holder) left out
 *   MUT_MAC_AFTER_ASSOC  the TmpMAC loaded after association
 *   MUT_NO_SPENT_CHECK   a coin credited without the bank's spent check
 */
#include "params.pml"
#include "defs.pml"
#include "state.pml"
#include "air.pml"
#include "pda.pml"
#include "mss.pml"
#include "adversary.pml"

/* Safety invariants, checked in every reachable state. */
#define DISTINCT_SESSIONS (!(sess[0].live && sess[1].live && \
  (sess[0].k == sess[1].k || sess[0].m == sess[1].m || sess[0].t == sess[1].t)))
#define COIN_ONCE (till[1] <= 1 && till[2] <= 1)
#define PAYMENT_KEPT ((spent[1] != 0) == (till[1] != 0) && (spent[2] != 0) == (till[2] != 0))
#define WIPED_CLEAN(i) (pda[i].st != WIPED || (pda[i].kbd == 0 && pda[i].pend == 0 && pda[i].epk == 0 && \
  pda[i].tmpid == 0 && pda[i].mac == 0 && pda[i].assoc == 0))
#if NPDA > 2
#define ALL_WIPED_CLEAN (WIPED_CLEAN(0) && WIPED_CLEAN(1) && WIPED_CLEAN(2))
#else
#define ALL_WIPED_CLEAN (WIPED_CLEAN(0) && WIPED_CLEAN(1))
#endif

active proctype Monitor() {
end_monitor:
  if
  :: atomic { !DISTINCT_SESSIONS -> assert(DISTINCT_SESSIONS) }   /* no two live sessions share K_BD, TmpMAC, TmpId */
  :: atomic { !COIN_ONCE -> assert(COIN_ONCE) }                   /* a coin is accepted at most once */
  :: atomic { !PAYMENT_KEPT -> assert(PAYMENT_KEPT) }             /* an accepted payment is never lost */
  :: atomic { !ALL_WIPED_CLEAN -> assert(ALL_WIPED_CLEAN) }       /* after wipe no session secret */
  fi
}

init {
  atomic {
    run Pda(0);
#if NPDA > 1
    run Pda(1);
#endif
#if NPDA > 2
    run Pda(2);
#endif
  }
}

/* Liveness, under weak fairness, with the adversary's budgets (the channel eventually delivers). */
#define DECIDED(i) (pda[i].st == IN_SESSION || pda[i].st == WIPED)
#define ENDED(i) (pda[i].st == WIPED)
#if NPDA > 2
ltl join_outcome { [] ((pda[0].st == JOINING -> <> DECIDED(0)) && (pda[1].st == JOINING -> <> DECIDED(1)) &&
                       (pda[2].st == JOINING -> <> DECIDED(2))) }
ltl session_ends { [] ((pda[0].st == IN_SESSION -> <> ENDED(0)) && (pda[1].st == IN_SESSION -> <> ENDED(1)) &&
                       (pda[2].st == IN_SESSION -> <> ENDED(2))) && <> [] (!sess[0].live && !sess[1].live) }
#else
ltl join_outcome { [] ((pda[0].st == JOINING -> <> DECIDED(0)) && (pda[1].st == JOINING -> <> DECIDED(1))) }
ltl session_ends { [] ((pda[0].st == IN_SESSION -> <> ENDED(0)) && (pda[1].st == IN_SESSION -> <> ENDED(1))) &&
                   <> [] (!sess[0].live && !sess[1].live) }
#endif
