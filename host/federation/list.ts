/**
 * The federation's member list (docs/federation.md): which MSSs trust each other enough to hand a PDA's
 * session from one to another (paper §6.3), each with its identity key and MSS-to-MSS endpoint.
 *
 *   {"v":1,"federation":NAME,"federationKey":hex,"issuedAt":unixSec,
 *    "members":[{"mssId","identityKey","url","cert"}],"sig":hex}
 *
 * `cert` is the signature of the member's certificate (shared/src/protocol/federation.ts; beacon
 * extension 4). `sig` is the federation key's Ed25519 signature (RFC 8032) over a binary encoding of the
 * list (listSigningInput), never over JSON text, so no two JSON spellings of one list can carry different
 * meanings under one signature.
 */
import { readFileSync } from 'node:fs';
import { Writer, concat, equalBytes, fromHex, toHex, utf8Encode } from '../../shared/src/bytes';
import type { BeaconExtension } from '../../shared/src/protocol/beacon';
import { EXT_FEDERATION } from '../../shared/src/protocol/constants';
import { encodeMemberCert, isValidFederationName, memberSigningInput } from '../../shared/src/protocol/federation';
import { isValidMssId } from '../../shared/src/protocol/topics';
import { ed25519PublicKeyObject, ed25519VerifyHost, type FederationKey } from './keys';
import type { KeyObject } from 'node:crypto';

export const LABEL_FEDERATION_LIST = 'hood/v1 federation list';
export const FEDERATION_LIST_VERSION = 1;
export const MAX_MEMBERS = 256;
const MAX_URL_LEN = 200;

export interface FederationMember {
  mssId: string;
  identityKey: Uint8Array;
  /** MSS-to-MSS endpoint, http(s)://host:port (no trailing slash). */
  url: string;
  /** Signature of the member's certificate (64 bytes). */
  cert: Uint8Array;
}

export interface MemberSpec {
  mssId: string;
  identityKey: Uint8Array;
  url: string;
}

export interface FederationListJson {
  v: number;
  federation: string;
  federationKey: string;
  issuedAt: number;
  members: { mssId: string; identityKey: string; url: string; cert: string }[];
  sig: string;
}

/** A checked URL: http or https, a host, no credentials, query or fragment; returned without a trailing slash. */
export function checkMemberUrl(url: unknown): string {
  if (typeof url !== 'string' || url.length === 0 || url.length > MAX_URL_LEN) throw new Error('member URL must be 1..' + MAX_URL_LEN + ' characters');
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error('member URL is not a URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('member URL must be http(s)');
  if (!u.hostname || u.username || u.password || u.search || u.hash) throw new Error('member URL must be http(s)://host:port[/path] without credentials, query or fragment');
  const norm = u.href.replace(/\/+$/, '');
  // The list is signed over the exact string: only a canonical spelling is accepted, so one list has one meaning.
  if (norm !== url) throw new Error('member URL must be written canonically: ' + norm);
  return norm;
}

/** `ID=IDENTITYKEYHEX@URL` (the CLI's --member). */
export function parseMemberSpec(s: string): MemberSpec {
  const eq = s.indexOf('=');
  const at = s.indexOf('@', eq + 1);
  if (eq <= 0 || at < 0) throw new Error('--member must be ID=IDENTITYKEYHEX@URL');
  const mssId = s.slice(0, eq);
  const hex = s.slice(eq + 1, at);
  if (!isValidMssId(mssId)) throw new Error('invalid MSS id ' + JSON.stringify(mssId));
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error('identity key of ' + mssId + ' must be 64 lower-case hex digits');
  const url = new URL(s.slice(at + 1)).href.replace(/\/+$/, '');
  return { mssId, identityKey: fromHex(hex), url: checkMemberUrl(url) };
}

/** The bytes the federation key signs: label, then every field of the list length-prefixed, in order. */
export function listSigningInput(l: { v: number; name: string; federationKey: Uint8Array; issuedAt: number; members: FederationMember[] }): Uint8Array {
  const w = new Writer()
    .u8(l.v)
    .vbytes8(utf8Encode(l.name))
    .vbytes8(l.federationKey)
    .u32(l.issuedAt)
    .u16(l.members.length);
  for (const m of l.members) w.vbytes8(utf8Encode(m.mssId)).vbytes8(m.identityKey).vbytes16(utf8Encode(m.url)).vbytes8(m.cert);
  return concat([utf8Encode(LABEL_FEDERATION_LIST), w.finish()]);
}

/** Sign a member list with the federation key: one certificate per member, then the list. */
export function signFederationList(opts: { name: string; key: FederationKey; members: MemberSpec[]; issuedAt?: number }): FederationListJson {
  if (!isValidFederationName(opts.name)) throw new Error('federation name must be 1-32 of a-z 0-9 -');
  if (opts.members.length === 0 || opts.members.length > MAX_MEMBERS) throw new Error('a federation has 1..' + MAX_MEMBERS + ' members');
  const issuedAt = opts.issuedAt ?? Math.floor(Date.now() / 1000);
  const members: FederationMember[] = opts.members.map((m) => ({
    mssId: m.mssId,
    identityKey: m.identityKey,
    url: checkMemberUrl(m.url),
    cert: opts.key.sign(memberSigningInput(opts.name, m.mssId, m.identityKey)),
  }));
  checkUnique(members);
  const sig = opts.key.sign(listSigningInput({ v: FEDERATION_LIST_VERSION, name: opts.name, federationKey: opts.key.publicKey, issuedAt, members }));
  const json: FederationListJson = {
    v: FEDERATION_LIST_VERSION,
    federation: opts.name,
    federationKey: toHex(opts.key.publicKey),
    issuedAt,
    members: members.map((m) => ({ mssId: m.mssId, identityKey: toHex(m.identityKey), url: m.url, cert: toHex(m.cert) })),
    sig: toHex(sig),
  };
  verifyFederationList(json); // never hand out a list that would not load
  return json;
}

function checkUnique(members: FederationMember[]): void {
  const ids = new Set<string>();
  const keys = new Set<string>();
  for (const m of members) {
    if (ids.has(m.mssId)) throw new Error('duplicate member id ' + m.mssId);
    const k = toHex(m.identityKey);
    if (keys.has(k)) throw new Error('duplicate member identity key (' + m.mssId + ')');
    ids.add(m.mssId);
    keys.add(k);
  }
}

function hexField(v: unknown, bytes: number, what: string): Uint8Array {
  if (typeof v !== 'string' || v.length !== bytes * 2 || !/^[0-9a-f]*$/.test(v)) throw new Error(what + ' must be ' + bytes * 2 + ' lower-case hex digits');
  return fromHex(v);
}

function exactKeys(o: unknown, keys: string[], what: string): Record<string, unknown> {
  if (!o || typeof o !== 'object' || Array.isArray(o)) throw new Error(what + ' must be an object');
  const got = Object.keys(o).sort();
  const want = keys.slice().sort();
  if (got.length !== want.length || got.some((k, i) => k !== want[i])) throw new Error(what + ' must have exactly the fields ' + keys.join(', '));
  return o as Record<string, unknown>;
}

/** A verified federation list. */
export class Federation {
  private readonly byId = new Map<string, FederationMember>();
  private readonly keyObjects = new Map<string, KeyObject>();

  constructor(
    readonly name: string,
    readonly federationKey: Uint8Array,
    readonly issuedAt: number,
    readonly members: FederationMember[],
  ) {
    for (const m of members) {
      this.byId.set(m.mssId, m);
      this.keyObjects.set(m.mssId, ed25519PublicKeyObject(m.identityKey));
    }
  }

  member(mssId: string): FederationMember | undefined {
    return this.byId.get(mssId);
  }

  /** The member's identity key as a node:crypto key (peer authentication); undefined for a non-member. */
  memberKey(mssId: string): KeyObject | undefined {
    return this.keyObjects.get(mssId);
  }

  /**
   * Beacon extension 4 for this MSS: its certificate. Throws unless (mssId, identityKey) is a member, so an
   * MSS never starts advertising a federation that does not list its key.
   */
  beaconExtension(mssId: string, identityKey: Uint8Array): BeaconExtension {
    const m = this.byId.get(mssId);
    if (!m) throw new Error('MSS ' + mssId + ' is not a member of federation ' + this.name);
    if (!equalBytes(m.identityKey, identityKey)) throw new Error('federation ' + this.name + ' lists another identity key for MSS ' + mssId);
    return { type: EXT_FEDERATION, value: encodeMemberCert({ name: this.name, federationKey: this.federationKey, sig: m.cert }) };
  }
}

/** Verify a parsed list (every field, the list signature, every certificate, uniqueness); throws a clear Error. */
export function verifyFederationList(j: unknown): Federation {
  const o = exactKeys(j, ['v', 'federation', 'federationKey', 'issuedAt', 'members', 'sig'], 'federation list');
  if (o.v !== FEDERATION_LIST_VERSION) throw new Error('unsupported federation list version ' + JSON.stringify(o.v));
  if (!isValidFederationName(o.federation)) throw new Error('federation name must be 1-32 of a-z 0-9 -');
  const name = o.federation as string;
  const federationKey = hexField(o.federationKey, 32, 'federationKey');
  const issuedAt = o.issuedAt;
  if (typeof issuedAt !== 'number' || !Number.isInteger(issuedAt) || issuedAt < 0 || issuedAt > 0xffffffff) throw new Error('issuedAt must be unix seconds');
  if (!Array.isArray(o.members) || o.members.length === 0 || o.members.length > MAX_MEMBERS) throw new Error('members must be a list of 1..' + MAX_MEMBERS);
  const members: FederationMember[] = o.members.map((x: unknown, i: number) => {
    const m = exactKeys(x, ['mssId', 'identityKey', 'url', 'cert'], 'member ' + i);
    if (!isValidMssId(m.mssId as string)) throw new Error('member ' + i + ': invalid MSS id');
    return {
      mssId: m.mssId as string,
      identityKey: hexField(m.identityKey, 32, 'member ' + i + ' identityKey'),
      url: checkMemberUrl(m.url),
      cert: hexField(m.cert, 64, 'member ' + i + ' cert'),
    };
  });
  checkUnique(members);
  const sig = hexField(o.sig, 64, 'sig');
  let fedKeyObject: KeyObject;
  try {
    fedKeyObject = ed25519PublicKeyObject(federationKey);
  } catch {
    throw new Error('federationKey is not an Ed25519 public key');
  }
  if (!ed25519VerifyHost(sig, listSigningInput({ v: FEDERATION_LIST_VERSION, name, federationKey, issuedAt, members }), fedKeyObject))
    throw new Error('federation list signature does not verify under its federation key');
  for (const m of members) {
    if (!ed25519VerifyHost(m.cert, memberSigningInput(name, m.mssId, m.identityKey), fedKeyObject))
      throw new Error('membership certificate of ' + m.mssId + ' does not verify');
    try {
      ed25519PublicKeyObject(m.identityKey);
    } catch {
      throw new Error('identity key of ' + m.mssId + ' is not an Ed25519 public key');
    }
  }
  return new Federation(name, federationKey, issuedAt, members);
}

/** Load and verify a federation list file. */
export function loadFederation(path: string): Federation {
  let j: unknown;
  try {
    j = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error('cannot read federation list ' + path + ': ' + (e as Error).message);
  }
  try {
    return verifyFederationList(j);
  } catch (e) {
    throw new Error('federation list ' + path + ': ' + (e as Error).message);
  }
}
