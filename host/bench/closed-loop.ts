/** Closed-loop load: each of `workers` sends its next message when the previous answer is back. */
import { performance } from 'node:perf_hooks';

export async function closedLoop(workers: number, perWorker: number, once: (w: number) => Promise<void>): Promise<{ elapsedMs: number; rtts: number[] }> {
  const rtts: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      for (let i = 0; i < perWorker; i++) {
        const t = performance.now();
        await once(w);
        rtts.push(performance.now() - t);
      }
    }),
  );
  return { elapsedMs: performance.now() - t0, rtts };
}
