/*
 * Hand-off and resumption with session tickets (docs/handoff.md §2-§3; paper §6.3) in Promela, for Spin.
 * A model of its own beside hood.pml: one PDA with one session ticket issued by MSS 0 (the issuer), two
 * other members of the federation (1, 2), the PDA's RESUME to one of them carrying the ticket, the
 * member's redeem at the issuer over the MSS-to-MSS channel, and an adversary who may lose any message
 * on the air or between MSSs (a bounded number of times) and who has read the ticket off an
 * unencrypted MSS-to-MSS link and presents it at a member of its choice.
 *
 *   spin -a handoff.pml && gcc -DSAFETY -DNOCLAIM -o pan pan.c && ./pan          safety
 *   spin -DMUT_SPLIT_REDEEM -a handoff.pml ...                                     a mutant
 *
 * What the code does, in the model's terms (host/mss/handoff.ts, host/mss/routes.ts):
 *  - the issuer's redeem is one transaction: an unspent ticket is spent for the asking member and the
 *    session at the issuer ends; the same member asking again (its answer was lost) gets the same answer;
 *    anyone else is refused.
 *  - a member that got the issuer's answer admits the session only if none runs there under that TmpId
 *    (`already_here`), and keeps a claim so the PDA's retry after a lost ACCEPT gets the same session,
 *    until the session's first cell under its new keys (confirmation).
 *  - the PDA retries a RESUME that got no answer, with the same ticket, at the same member.
 *
 * Mutants (each reintroduces a bug; Spin must find a counterexample):
 *   MUT_SPLIT_REDEEM     the issuer answers before it marks the ticket spent (not one transaction)
 *   MUT_TAKEOVER         a repeated issuer answer takes over a session already running at the member
 *   MUT_NO_REANSWER      the issuer refuses the same member's repeated redeem (a lost answer loses the session)
 */

#ifndef LOSSES
#define LOSSES 2        /* messages the adversary may lose, in all */
#endif
#ifndef TRIES
#define TRIES 4         /* RESUMEs the PDA sends before it gives up (more than LOSSES) */
#endif

#define ISSUER 0
#define NOBODY 255
#define PDA 1
#define ADV 2

#define NONE 0     /* no answer came (a message was lost): the sender tries again */
#define ACC 1
#define REF 2

/* The session of the one TmpId at each MSS: who holds its keys (0: none, PDA, ADV). */
byte owner[3];
/* The member the issuer spent the ticket for (NOBODY: unspent). Ghost: spentFirst never changes once set. */
byte spentFor = NOBODY;
byte spentFirst = NOBODY;
/* A member's claim after a redeem: open (for claimBy's retries) until the session's first cell. */
bool claim[3];
byte claimBy[3];
byte losses = 0;
/* What the PDA ended with: 0 still trying, 1 in session at pdaAt, 2 refused or gave up. */
byte pdaDone = 0;
byte pdaAt = NOBODY;
/* Where the adversary presents the ticket (NOBODY: it does not). */
byte advAt = NOBODY;

/* The adversary loses a message instead of delivering it, while it has budget. */
inline lost(l) {
  if
  :: losses < LOSSES -> losses++; l = true
  :: true -> l = false
  fi
}

/*
 * One RESUME from `who` at member `m`, with the ticket, in the steps the code takes: the RESUME may be
 * lost; the member's own claim answers at once; otherwise the issuer's redeem (one transaction, its answer
 * may be lost), then, in a later step (after an await), the member's admission and its ACCEPT (which may
 * be lost). `res` is what `who` receives.
 */
inline resume(who, m, res) {
  res = NONE;
  lost(l);
  if
  :: l -> skip
  :: else ->
     atomic {
       if
       :: claim[m] && claimBy[m] == who ->
          /* the claim a lost ACCEPT left open: the same session again */
          lost(l); if :: !l -> res = ACC :: else -> skip fi; ok = 2
       :: claim[m] && claimBy[m] != who -> res = REF; ok = 2
       :: !claim[m] ->
          /* the member asks the issuer */
          if
          :: spentFor == NOBODY ->
#ifndef MUT_SPLIT_REDEEM
             /* one transaction: spent for m, the session at the issuer ends (without a cell) */
             spentFor = m; spentFirst = m; owner[ISSUER] = 0;
#endif
             ok = 1
#ifndef MUT_NO_REANSWER
          :: spentFor == m -> ok = 1               /* the same member again: its answer may have been lost */
#endif
          :: else -> ok = 0
          fi;
          if
          :: ok == 1 -> lost(l); if :: l -> ok = 2 :: else -> skip fi   /* the answer lost: no answer */
          :: else -> skip
          fi
       fi
     }
     if
     :: ok == 0 -> res = REF
     :: ok == 1 ->
        atomic {
#ifdef MUT_SPLIT_REDEEM
          /* spent only now: another member may have got an answer in between */
          if
          :: spentFor == NOBODY -> spentFor = m; spentFirst = m; owner[ISSUER] = 0
          :: else -> owner[ISSUER] = 0
          fi;
#endif
#ifdef MUT_TAKEOVER
          owner[m] = who; claim[m] = true; claimBy[m] = who;
          lost(l); if :: !l -> res = ACC :: else -> skip fi
#else
          if
          :: owner[m] != 0 -> res = REF             /* already_here: never taken over this way */
          :: else ->
             owner[m] = who; claim[m] = true; claimBy[m] = who;
             lost(l); if :: !l -> res = ACC :: else -> skip fi
          fi
#endif
        }
     :: ok == 2 -> skip
     fi
  fi
}

/* Bob's PDA: in session at the issuer, it moves to member `to` and resumes there with its ticket. */
proctype Pda(byte to) {
  byte tries = 0, res, ok;
  bool l;
  do
  :: tries < TRIES ->
     tries++;
     resume(PDA, to, res);
     if
     :: res == ACC ->
        /* its first cell under the new keys confirms the session and closes the claim */
        atomic { claim[to] = false; pdaAt = to; pdaDone = 1 };
        break
     :: res == REF -> pdaDone = 2; break
     :: res == NONE -> skip
     fi
  :: tries >= TRIES -> pdaDone = 2; break
  od
}

/* Someone who read the ticket off the MSS-to-MSS link presents it at a member of its choice, once. */
proctype Adversary(byte at) {
  byte res, ok;
  bool l;
  resume(ADV, at, res)
}

/* Safety invariants. */
#define ONE_SESSION ((owner[0] != 0) + (owner[1] != 0) + (owner[2] != 0) <= 1)
#define SPENT_ONCE (spentFirst == NOBODY || spentFor == spentFirst)
#define NO_HIJACK (pdaDone != 1 || owner[pdaAt] == PDA)

active proctype Monitor() {
end_monitor:
  if
  :: atomic { !ONE_SESSION -> assert(ONE_SESSION) }   /* never two sessions of one TmpId */
  :: atomic { !SPENT_ONCE -> assert(SPENT_ONCE) }     /* a ticket is spent for one member only */
  :: atomic { !NO_HIJACK -> assert(NO_HIJACK) }       /* the PDA's resumed session stays the PDA's */
  fi
}

init {
  atomic {
    owner[ISSUER] = PDA;
    if
    :: run Pda(1)
    :: run Pda(2)
    fi;
    if
    :: advAt = 1; run Adversary(1)
    :: advAt = 2; run Adversary(2)
    :: skip
    fi
  }
  /* Not lost: once the PDA is done, it is in session at a member, or it was refused while the session is
   * still at the issuer (nothing spent) — unless whoever holds the ticket secret besides the PDA spent it
   * first: a bearer ticket read off the wire can be used (docs/handoff.md: https between MSSs). */
  (pdaDone != 0);
  assert(pdaDone == 1 || (spentFor == NOBODY && owner[ISSUER] == PDA) || (advAt != NOBODY && spentFor == advAt))
}
