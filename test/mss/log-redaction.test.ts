/**
 * No log line carries URL credentials (RFC 3986 §3.2.1 userinfo): the gateway logs its broker URL, errors
 * quote URLs, and a URL given with user:pass@ must come out as ***@ wherever it appears.
 */
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../host/common/log';
import { hasUrlCredentials, redactUrl } from '../../host/common/redact';
import { startGateway } from '../helpers/gateway';
import { startHardenedMosquitto, stopMosquitto, type HardenedMosquitto } from '../helpers/mosquitto';

function capture() {
  const lines: string[] = [];
  const dest = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { log: createLogger({ level: 'trace', destination: dest }), text: () => lines.join('') };
}

describe('URL credentials are redacted', () => {
  it('redactUrl', () => {
    expect(redactUrl('mqtt://hood-mss:s3cret@10.0.0.1:1883')).toBe('mqtt://***@10.0.0.1:1883');
    expect(redactUrl('connect mqtts://u@h:8883/x and http://a:b@c/d')).toBe('connect mqtts://***@h:8883/x and http://***@c/d');
    expect(redactUrl('mqtt://127.0.0.1:1883/a@b')).toBe('mqtt://127.0.0.1:1883/a@b'); // "@" in the path is no userinfo
    expect(redactUrl('user@example.org')).toBe('user@example.org');
    expect(redactUrl('{"a":"mqtt://h:1","b":"bob@example.org"}')).toBe('{"a":"mqtt://h:1","b":"bob@example.org"}'); // not across a JSON string
    expect(hasUrlCredentials('mqtt://u:p@h')).toBe(true);
    expect(hasUrlCredentials('mqtt://h:1883')).toBe(false);
  });

  it('in every field, message and error of a log line (fast-check)', () => {
    const chars = fc.constantFrom(...'abcXYZ019-._~!$&\'()*+,;=%:'.split(''));
    const secret = fc.string({ unit: chars, minLength: 6, maxLength: 24 }).map((s) => 'Q' + s + 'Q');
    fc.assert(
      fc.property(secret, secret, fc.constantFrom('mqtt', 'mqtts', 'ws', 'http', 'https'), (user, pass, scheme) => {
        const url = scheme + '://' + user + ':' + pass + '@broker.example:1883/p';
        const c = capture();
        c.log.info({ url, nested: { list: [url, { deeper: url }] } }, 'connecting to ' + url);
        c.log.error({ err: new Error('cannot connect to broker ' + url) }, 'failed');
        c.log.warn('plain ' + url);
        c.log.child({ broker: url }).info({ again: url }, url);
        const out = c.text();
        expect(out).not.toContain(pass);
        expect(out).not.toContain(user + ':');
        expect(out.split('***@broker.example').length).toBeGreaterThan(6);
      }),
      { numRuns: 200 },
    );
  });
});

describe('the gateway on an external broker whose URL carries the password', () => {
  let mosq: HardenedMosquitto;
  beforeAll(async () => {
    mosq = await startHardenedMosquitto('doug');
  });
  afterAll(async () => {
    if (mosq) await stopMosquitto(mosq);
  });

  it('connects with it and never logs it', async () => {
    const c = capture();
    const url = 'mqtt://' + mosq.gatewayUser + ':' + mosq.gatewayPassword + '@127.0.0.1:' + mosq.port;
    const g = await startGateway({ brokerUrl: url, log: c.log });
    await g.stop();
    expect(c.text()).toContain('"event":"mss_started"');
    expect(c.text()).toContain('mqtt://***@127.0.0.1:' + mosq.port);
    expect(c.text()).not.toContain(mosq.gatewayPassword);
  });

  it('a connection error quotes the URL without it', async () => {
    const err = await startGateway({ brokerUrl: 'mqtt://hood-mss:Pw0rdXYZ@127.0.0.1:1', log: capture().log }).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/^cannot connect to broker mqtt:\/\/\*\*\*@127\.0\.0\.1:1/);
    expect((err as Error).message).not.toContain('Pw0rdXYZ');
  });
});
