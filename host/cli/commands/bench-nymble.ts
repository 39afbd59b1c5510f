/** `hood bench nymble`: Extended Nymble ticket checks, blacklist lookups and issue rate (docs/nymble.md). */
import type { Command } from 'commander';
import { benchNymble } from '../../bench/nymble-bench';
import { parseIntOption } from '../options';
import { jsonOption, printResult, type JsonFlag } from '../output';
import { progressLines } from '../../board/progress';

export function registerNymbleBenchCommand(bench: Command): void {
  jsonOption(bench.command('nymble'))
    .description('MSS ticket check (µs, p50/p99) with 100,000 linked nymbles, O(1) blacklist lookup, NM issue rate')
    .option('--users <n>', 'distinct users whose tickets are checked', parseIntOption, 5000)
    .option('--entries <n>', 'linked nymbles held by the MSS', parseIntOption, 100_000)
    .action(async (o: JsonFlag & { users: number; entries: number }) => {
      if (o.users < 1 || o.entries < 1) throw new Error('--users and --entries must be at least 1');
      const r = await benchNymble({ users: o.users, entries: o.entries, onProgress: progressLines(o, 'bench nymble') });
      printResult(o, r);
    });
}
