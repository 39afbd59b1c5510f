/** Boards `hood flash --board` knows (board facts live with each HAL under boards/). */
import { ESP32_DEVKITC, type BoardFacts } from '../../boards/esp32-devkitc/facts';
import { ESPRUINO_LINUX } from '../../boards/espruino-linux/facts';

export const BOARDS: Record<string, BoardFacts> = {
  [ESP32_DEVKITC.name]: ESP32_DEVKITC,
  [ESPRUINO_LINUX.name]: ESPRUINO_LINUX,
};

export function boardFacts(name: string): BoardFacts {
  const f = BOARDS[name];
  if (!f) throw new Error('unknown board ' + JSON.stringify(name) + ' (known: ' + Object.keys(BOARDS).join(', ') + ')');
  return f;
}
