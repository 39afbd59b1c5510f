/**
 * Console events: one line per event, `@hood ` + JSON, so the host's board link can pick them out of
 * REPL noise (docs/boards.md, console protocol). Never put a key, K_BD or coin in an event.
 */
import type { Board } from './board';

import { EVENT_PREFIX } from './event-prefix';

export { EVENT_PREFIX };

export type EventSink = (ev: { [k: string]: unknown }) => void;

export function consoleEvents(board: Board): EventSink {
  return function (ev) {
    board.consoleWrite(EVENT_PREFIX + JSON.stringify(ev));
  };
}
