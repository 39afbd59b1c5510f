/**
 * Cells for `hood bench flood`: valid JOINs sealed to the MSS's real box key (docs/protocol.md §3.1), made
 * with node:crypto's X25519, HKDF and ChaCha20-Poly1305 so a flooder can make thousands per second and is
 * never the bottleneck, plus junk of the cell size (SESSION-shaped cells under unknown tags, JOIN-shaped
 * cells that do not authenticate) and junk of the wrong size.
 */
import { createCipheriv, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import { joinCapacity } from '../../shared/src/protocol/cells';
import { KIND_JOIN, KIND_SESSION, LABEL_JOIN, MSG_JOIN, PROTOCOL_VERSION } from '../../shared/src/protocol/constants';
import { encodeMessage } from '../../shared/src/protocol/messages';
import { newTmpMac } from '../../shared/src/tmpmac';

const rnd = (n: number) => new Uint8Array(randomBytes(n));

function x25519Public(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' });
}

/** A maker of valid JOIN cells for one beacon (box key, nonce): each call a fresh epk, K_BD and TmpMAC. */
export function joinMaker(boxKey: Uint8Array, beaconNonce: Uint8Array, cellSize: number): () => Buffer {
  const peer = x25519Public(boxKey);
  const info = Buffer.from(LABEL_JOIN, 'utf8');
  const capacity = joinCapacity(cellSize);
  const nonce = Buffer.alloc(12);
  return () => {
    const { privateKey, publicKey } = generateKeyPairSync('x25519');
    const epk = Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url');
    const shared = diffieHellman({ privateKey, publicKey: peer });
    const k = Buffer.from(hkdfSync('sha256', shared, Buffer.concat([epk, boxKey]), info, 32));
    const header = Buffer.concat([Buffer.from([PROTOCOL_VERSION, KIND_JOIN]), epk]);
    const plain = encodeMessage({ type: MSG_JOIN, kbd: rnd(32), tmpMac: newTmpMac(rnd), joinNonce: rnd(16), beaconNonce }, capacity);
    const c = createCipheriv('chacha20-poly1305', k, nonce, { authTagLength: 16 });
    c.setAAD(header, { plaintextLength: plain.length });
    const ct = Buffer.concat([c.update(plain), c.final()]);
    return Buffer.concat([header, ct, c.getAuthTag()]);
  };
}

/** A SESSION-shaped cell under a random tag: the MSS finds no session for it. */
export function junkSessionCell(cellSize: number): Buffer {
  const b = randomBytes(cellSize);
  b[0] = PROTOCOL_VERSION;
  b[1] = KIND_SESSION;
  return b;
}

/** A JOIN-shaped cell that does not authenticate (random epk and body): it costs the MSS an X25519 all the same. */
export function junkJoinCell(cellSize: number): Buffer {
  const b = randomBytes(cellSize);
  b[0] = PROTOCOL_VERSION;
  b[1] = KIND_JOIN;
  return b;
}
