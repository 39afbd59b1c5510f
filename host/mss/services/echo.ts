/** DATA channel 0: the MSS returns what it received (liveness checks, keepalive, `hood bench mss`). */
import { CHANNEL_ECHO } from '../../../shared/src/protocol/constants';
import type { Service } from '../core';

export const echoService: Service = {
  channel: CHANNEL_ECHO,
  onData(ctx, payload) {
    ctx.reply(CHANNEL_ECHO, payload);
  },
};
