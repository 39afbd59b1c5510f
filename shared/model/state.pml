/* The global state of the hood model, declared before any process uses it. */
PdaT pda[NPDA];
byte nextK;          /* K_BD values drawn so far (fresh draws are 1..NKBD) */
byte nextEpk;        /* JOINs sent so far: epk values are 1..NEPK */
byte collisions;
bit homeDone;
UpCell up[UPN];
DnCell dn[DNN];
UpCell hist[NEPK + 1];   /* every JOIN ever sent, by epk: what a recording adversary can replay */
UpCell oldS;             /* the last SESSION cell sent: replayable */
byte c0[REFKEY(0)];      /* per session key: the plaintext sealed at nonce 0 */
byte hw[REFKEY(0)];      /* per session key: next unused nonce */
SessT sess[MAXSESS];
byte epoch;               /* current beacon nonce; epoch - 1 is still accepted (§2.1) */
byte seen[NEPK + 1];      /* JOIN replay cache (§5): beacon epoch + 1 the epk was recorded under */
byte inc[NKBD + 1];       /* incarnation of each K_BD value (see docs/model.md) */
bit everLive[NKBD + 1];
bit spent[NCOIN + 1];     /* the bank's spent set (Cashu NUT-03 swap) */
byte till[NCOIN + 1];     /* how often the MSS was credited each coin */
BankReq bq[NPDA];         /* swaps in flight at the bank */
byte drops, dups, replays, rogues;
