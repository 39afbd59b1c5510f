/*
 * Bounds of the hood model (docs/model.md). Every domain is deliberately tiny so that the
 * collisions the protocol must handle (docs/protocol.md §7.1: K_BD in use, TmpMAC in use, full MSS,
 * TmpId redraw, a coin paid twice) really happen in the explored state space. Each bound can be
 * overridden with -D on the spin command line.
 */
#ifndef NPDA
#define NPDA 3          /* PDAs (1..3); the MSS is one process */
#endif
#ifndef MAXSESS
#define MAXSESS 2       /* MSS capacity: with 3 PDAs, REFUSE(2) is reachable */
#endif
#ifndef NKBD
#define NKBD 5          /* distinct K_BD values drawn in one run (each draw: fresh, or a live one) */
#endif
#ifndef MAXCOLL
#define MAXCOLL 1       /* K_BD draws that copy another PDA's K_BD (paper step 3 collision) */
#endif
#define NMAC 2          /* valid TmpMACs 1..NMAC: 3 PDAs, 2 addresses, so "TmpMAC in use" happens */
#define BAD_MAC 3       /* a multicast / globally administered address (REFUSE(4)) */
#define BURNED 0        /* the burned-in address in the unicast address register (paper §5) */
#define NTMPID 3        /* TmpIds 1..3, drawn at random and redrawn while in use */
#define NCOIN 2         /* coins 1..2: PDA i holds coin (i % 2) + 1, so PDAs 0 and 2 hold the same coin */
#ifndef MAXEP
#define MAXEP 2         /* beacon rotations: epochs 0..MAXEP (nonce i = epoch i) */
#endif
#ifndef NEPK
#define NEPK 7          /* JOINs (ephemeral keys) in one run, honest and rogue */
#endif
#define NSEQ 8          /* nonces per key that the model can reach */
#define NINC 2          /* incarnations of one K_BD value (docs/model.md, "What is abstracted away") */
#ifndef MAXATT
#define MAXATT 2        /* PDA attempts (docs/protocol.md §8.1 uses 4) */
#endif
#define UPN 3           /* uplink cells in the air at once */
#define DNN 3           /* downlink cells in the air at once */
#ifndef DROPS
#define DROPS 1         /* adversary budgets: the channel eventually delivers */
#endif
#ifndef DUPS
#define DUPS 1
#endif
#ifndef REPLAYS
#define REPLAYS 1
#endif
#ifndef ROGUE
#define ROGUE 1         /* JOINs forged by Ebe with a bad TmpMAC */
#endif
#ifndef PAYING
#define PAYING 1        /* 1: PDAs pay (paper step 4); 0: leave PAY out (smaller liveness runs) */
#endif
