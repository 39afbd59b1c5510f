/** `hood`: one CLI for the MSS gateway, the demo, benchmarks and the build (more commands register themselves). */
import { Command, CommanderError } from 'commander';
import { installNativeCrypto } from '../crypto/native';
import { registerBuildCommands } from './commands/build';
import { registerFlashCommand } from './commands/flash';
import { registerBoardCommands } from './commands/board';
import { registerDemoCommand } from './commands/demo';
import { registerMssCommands } from './commands/mss';
import { registerMssBenchCommand } from './commands/bench-mss';
import { registerFloodBenchCommand } from './commands/bench-flood';
import { registerFirmwareBenchCommand } from './commands/bench-firmware';
import { registerTargetsBenchCommand } from './commands/bench-targets';
import { registerNymbleBenchCommand } from './commands/bench-nymble';
import { registerSessionsBenchCommand } from './commands/bench-sessions';
import { registerAnonymityBenchCommand } from './commands/bench-anonymity';
import { registerRecipientCommands } from './commands/recipient';
import { registerLabCommands } from './commands/lab';
import { registerAuditCommands } from './commands/audit';
import { registerBankBenchCommand, registerBankCommands } from './commands/bank';
import { registerWalletCommands } from './commands/wallet';
import { registerModelCommand } from './commands/model';
import { registerPdaCommand } from './commands/pda';
import { registerNymbleCommands } from './commands/nymble';
import { registerExchangeCommands } from './commands/exchange';
import { registerFederationCommands } from './commands/federation';

export function buildProgram(): Command {
  const program = new Command('hood')
    .description('hood: anonymous messaging from PDA-class devices — MSS gateway, bank, PDA firmware tools')
    .showHelpAfterError()
    .exitOverride();
  registerMssCommands(program);
  registerDemoCommand(program);
  registerBuildCommands(program);
  registerFlashCommand(program);
  registerBoardCommands(program);
  registerPdaCommand(program);
  registerRecipientCommands(program);
  registerLabCommands(program);
  registerAuditCommands(program);
  registerBankCommands(program);
  registerWalletCommands(program);
  registerModelCommand(program);
  registerNymbleCommands(program);
  registerExchangeCommands(program);
  registerFederationCommands(program);
  const bench = program.command('bench').description('benchmarks (JSON with --json); each compares against a baseline measured in the same run');
  registerMssBenchCommand(bench);
  registerFloodBenchCommand(bench);
  registerFirmwareBenchCommand(bench);
  registerNymbleBenchCommand(bench);
  registerSessionsBenchCommand(bench);
  registerAnonymityBenchCommand(bench);
  registerBankBenchCommand(bench);
  registerTargetsBenchCommand(bench);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  installNativeCrypto();
  // `hood demo | head`: a reader that went away is not an error of ours.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode;
      return;
    }
    process.stderr.write('hood: ' + ((e as Error).message || String(e)) + '\n');
    process.exitCode = 1;
  }
}
