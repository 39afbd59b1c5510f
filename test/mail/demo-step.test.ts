/** The mail step `hood demo` will run: sent, replyReceived and dropBox all true on the real bundle. */
import { describe, expect, it } from 'vitest';
import { endSession, joinSession, pdaFor } from '../../host/demo/emu-session';
import { runMailDemoStep } from '../../host/demo/mail-step';
import { BUNDLE } from '../helpers/gateway';
import { DOMAIN, startMailGateway } from './helpers';

describe('runMailDemoStep', () => {
  it('reports sent, replyReceived and dropBox', async () => {
    const g = await startMailGateway();
    const pda = pdaFor(g.gw, BUNDLE);
    try {
      const j = await joinSession(pda);
      const steps: string[] = [];
      const r = await runMailDemoStep(g.gw, pda, g.mail, { onStep: (s) => steps.push(s) });
      expect(r).toMatchObject({ sent: true, aliceRead: true, replyReceived: true, dropBox: true, fromAddress: j.tmpId + '@' + DOMAIN });
      expect(r.error).toBeUndefined();
      expect(steps).toEqual(['mail', 'smtp', 'reply', 'dropbox', 'pickup']);
      await endSession(pda);
    } finally {
      pda.powerOff();
      await g.stop();
    }
  });
});
