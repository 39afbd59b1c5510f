/**
 * Hand-off between two MSSs of a federation on the testbed (paper §6.3): `hood lab run --mss 2 --handoff`
 * puts MSS lab-a and lab-b each on its own air, every PDA joins lab-a, hands its session off and resumes
 * at lab-b on the other air. The session keeps its TmpId; everything on the air is new (TmpMAC, MQTT
 * client id); the two captures audited together show no identifier linking the halves, and no burned-in
 * MAC. A PDA whose driver never writes its MAC register (`--leak mac@0`) makes the same audit fail.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { sitePcap } from '../../host/lab/federation';
import { checkLabOptions, runLab, type LabRunResult } from '../../host/lab/run';
import { countFrames, namespacesOf, requireLabHost, tmpFile } from './helpers';

function hood(args: string[], timeoutMs: number): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((done) => {
    const p = spawn(process.execPath, [resolve('bin/hood.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    // SIGINT: the CLI tears its run down before exiting.
    const t = setTimeout(() => p.kill('SIGINT'), timeoutMs);
    p.on('close', (code) => {
      clearTimeout(t);
      done({ code, out, err });
    });
  });
}

const workDirsOf = (prefix: string) => readdirSync(tmpdir()).filter((n) => n.startsWith(prefix + '-'));

describe('hood lab run --mss 2 --handoff', () => {
  const pcap = tmpFile('air.pcap');
  const pcapB = pcap.replace(/\.pcap$/, '-b.pcap');
  let run: LabRunResult;
  let leaky: LabRunResult;

  beforeAll(async () => {
    requireLabHost();
    const r = await hood(['lab', 'run', '--mss', '2', '--handoff', '--pdas', '2', '--sessions', '1', '--pcap', pcap, '--json'], 240_000);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    run = JSON.parse(r.out) as LabRunResult;
    leaky = await runLab({ pdas: 2, sessions: 1, mss: 2, handoff: true, leaks: { 0: ['mac'] } });
  }, 480_000);

  it('every hand-off resumed at lab-b with the same TmpId under a new TmpMAC and client id', () => {
    const h = run.handoff!;
    expect(h).toMatchObject({ sessions: 2, resumed: 2, tmpIdKept: 2, macChanged: 2 });
    expect(h.moves.map((m) => m.pda)).toEqual([0, 1]);
    for (const m of h.moves) {
      expect(m).toMatchObject({ from: 'lab-a', to: 'lab-b' });
      expect(m.resumedTmpId).toBe(m.tmpId);
      expect(m.macTo).not.toBe(m.macFrom);
      expect(m.clientIdTo).not.toBe(m.clientIdFrom);
    }
    expect(run.pcaps).toEqual([pcap, pcapB]);
  });

  it('each half is on its own air: the TmpMAC of one MSS never appears on the other air', () => {
    for (const m of run.handoff!.moves) {
      // Counted by tshark directly, not through the audit.
      expect(countFrames(pcap, `eth.src == ${m.macFrom} && dhcp`)).toBeGreaterThan(0);
      expect(countFrames(pcapB, `eth.src == ${m.macTo} && dhcp`)).toBeGreaterThan(0);
      expect(countFrames(pcap, `eth.addr == ${m.macTo}`)).toBe(0);
      expect(countFrames(pcapB, `eth.addr == ${m.macFrom}`)).toBe(0);
      expect(countFrames(pcapB, `tcp.dstport == 1883 && ip.dst == 10.78.0.1 && eth.src == ${m.macTo}`)).toBeGreaterThan(0);
    }
  });

  it('the audit over both captures finds no linking identifier and no burned-in MAC', () => {
    const a = run.audit!;
    expect(a.files).toEqual([pcap, pcapB]);
    expect(a.leaks).toEqual([]);
    expect(a).toMatchObject({ ok: true, linking: 0, burnedInFrames: 0, sessionCount: 4 });
    for (const p of run.pdas) {
      expect(countFrames(pcap, `eth.addr == ${p.burnedIn}`)).toBe(0);
      expect(countFrames(pcapB, `eth.addr == ${p.burnedIn}`)).toBe(0);
    }
  });

  it('a PDA that keeps its burned-in MAC is linked across the two airs', () => {
    const a = leaky.audit!;
    expect(a.ok).toBe(false);
    expect(a.burnedInFrames).toBeGreaterThan(0);
    expect(a.leaks.some((l) => l.reason === 'reused' && l.kind === 'mac' && l.value === leaky.pdas[0].burnedIn && /across 2 captures/.test(l.detail))).toBe(true);
    // PDA 1 has no leak: nothing of it is reported.
    expect(a.leaks.some((l) => l.value === leaky.pdas[1].burnedIn)).toBe(false);
  });

  it('nothing is left behind: namespaces, processes, work dirs (federation key included)', () => {
    for (const r of [run, leaky]) {
      expect(r.leftover).toEqual([]);
      expect(namespacesOf(r.prefix)).toEqual([]);
      expect(workDirsOf(r.prefix)).toEqual([]);
    }
  });

  it('option errors are clear and start nothing', async () => {
    const a = await hood(['lab', 'run', '--handoff', '--pdas', '1'], 30_000);
    expect(a.code).toBe(2);
    expect(a.err).toMatch(/hand-off needs two MSSs \(--mss 2\)/);
    const b = await hood(['lab', 'run', '--mss', '2', '--pdas', '1'], 30_000);
    expect(b.code).toBe(2);
    expect(b.err).toMatch(/add --handoff/);
    const c = await hood(['lab', 'run', '--mss', '3', '--handoff'], 30_000);
    expect(c.code).toBe(2);
    expect(c.err).toMatch(/mss must be 1 or 2/);
  }, 60_000);
});

describe('lab options and capture names (no root needed)', () => {
  it('hand-off is accepted exactly with two MSSs and without mail or home-first', () => {
    fc.assert(
      fc.property(fc.integer({ min: -2, max: 5 }), fc.boolean(), fc.boolean(), fc.boolean(), (mss, handoff, mail, homeFirst) => {
        const ok = checkLabOptions({ mss, handoff, mail: mail ? { mix: false } : undefined, homeFirst }) === null;
        const want = (mss === 1 && !handoff) || (mss === 2 && handoff && !mail && !homeFirst);
        expect(ok).toBe(want);
      }),
      { numRuns: 500 },
    );
    expect(checkLabOptions({})).toBeNull();
  });

  it("the second air's capture never overwrites the first, and stays in its directory with its format", () => {
    const seg = fc.stringMatching(/^[a-z0-9._-]{1,12}$/);
    fc.assert(
      fc.property(fc.array(seg, { minLength: 1, maxLength: 4 }), fc.constantFrom('', '.pcap', '.pcapng', '.cap'), (parts, ext) => {
        const file = '/' + parts.join('/') + ext;
        const b = sitePcap(file, 1);
        expect(sitePcap(file, 0)).toBe(file);
        expect(b).not.toBe(file);
        expect(b.slice(0, b.lastIndexOf('/'))).toBe(file.slice(0, file.lastIndexOf('/')));
        if (ext) expect(b.endsWith('-b' + ext)).toBe(true);
        // libpcap or pcapng follows the name: both files get the same format.
        expect(b.endsWith('.pcap')).toBe(file.endsWith('.pcap'));
      }),
      { numRuns: 1000 },
    );
    expect(sitePcap('out.pcap', 1)).toBe('out-b.pcap');
  });
});
