/**
 * Defaults of the MSS's exponential mix (docs/anonymity.md "The default and why"):
 *  - mean delay 1800 s: at 100 mails a day (a small MSS) log2(λe/μ) ≈ 2.5 bits, at 1000 a day ≈ 5.8;
 *    Danezis's formula holds only for 1/μ > 1/(λe), about 320 s at 100 a day; mail is asynchronous,
 *    and a reply to a TmpId waits for Bob's pickup in any case.
 *  - at most 10000 messages per direction: Little's law puts the mean depth at λ/μ (≈ 210 at 10000
 *    mails a day), so the bound is far above normal load, and 10000 × the 16 KiB message limit keeps
 *    the queue file under about 170 MB.
 */
export const DEFAULT_MIX_MEAN_DELAY_SEC = 1800;
export const DEFAULT_MIX_MAX_QUEUED = 10000;
