/**
 * The upload format of EspruinoTools (the `espruino` npm package, what the Espruino Web IDE and
 * CLI use): its "Save on Send: direct to flash" processor turns code into
 * `require("Storage").write(".bootcde", <chunk>, <offset>, <size>)` statements plus `load()`, so the
 * code runs from flash at every boot instead of sitting in RAM.
 *
 * Only the files that processor needs are loaded, into a separate vm context: the package's
 * index.js would load every plugin, including ones that fetch modules or minify over the network,
 * and patch this process's globals (es6-shim, global.require).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';

const FILES = ['espruino.js', 'core/utils.js', 'core/config.js', 'core/env.js', 'plugins/saveOnSend.js'];

export interface UploadPlan {
  /** JavaScript statements to run on the board, in order (each one REPL line). */
  statements: string[];
  /** The final statement that restarts the interpreter and runs the code from flash. */
  load: string;
}

let cached: any = null;

function espruinoTools(): any {
  if (cached) return cached;
  const req = createRequire(import.meta.url);
  const dir = path.dirname(req.resolve('espruino/package.json'));
  const quiet = () => undefined;
  const ctx = vm.createContext({
    console: { log: quiet, info: quiet, warn: quiet, error: quiet },
    setTimeout,
    clearTimeout,
    navigator: { userAgent: 'node' },
  });
  for (const f of FILES) vm.runInContext(readFileSync(path.join(dir, f), 'utf8'), ctx, { filename: 'espruino/' + f });
  const E = vm.runInContext('Espruino', ctx);
  const errors: string[] = [];
  E.Core.Notifications = { error: (m: string) => errors.push(m), warning: quiet, info: quiet, success: quiet };
  E.Plugins.SaveOnSend.init();
  cached = { E, errors };
  return cached;
}

/**
 * Plan the upload of `code` to `.bootcde` for an Espruino of the given version (2v29 -> major 2,
 * minor 29; Storage exists since 1v96, which the processor checks).
 */
export function planUpload(code: string, version = { major: 2, minor: 29 }): Promise<UploadPlan> {
  const { E, errors } = espruinoTools();
  E.Config.SAVE_ON_SEND = 1; // "Direct to Flash (execute code at boot)"
  E.Config.LOAD_STORAGE_FILE = 1; // then load()
  const env = E.Core.Env.getData();
  env.VERSION_MAJOR = version.major;
  env.VERSION_MINOR = version.minor;
  errors.length = 0;
  return new Promise((resolve, reject) => {
    E.callProcessor('transformForEspruino', code, (out: string) => {
      if (errors.length) return reject(new Error('EspruinoTools: ' + errors.join('; ')));
      const lines = out.split('\n').filter((l) => l.trim() !== '');
      const load = lines.pop();
      if (load !== 'load()' || lines.length === 0 || !lines.every((l) => l.startsWith('require("Storage").write(".bootcde",'))) {
        return reject(new Error('EspruinoTools produced an unexpected upload (is the espruino package a different version?)'));
      }
      resolve({ statements: lines, load });
    });
  });
}
