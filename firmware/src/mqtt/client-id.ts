/**
 * Random MQTT client identifiers. The design gives the PDA a fresh identity on every layer per
 * session, so the client id must carry nothing stable. MQTT 3.1.1 [MQTT-3.1.3-5] obliges every
 * server to accept 1..23 characters from [0-9a-zA-Z], so that is the form produced.
 *
 * Runs on Espruino. `random` must be the board's cryptographic RNG, never Math.random.
 */

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/**
 * `length` (1..23, default 23) characters drawn uniformly: bytes >= 248 are rejected so that
 * `b % 62` has no bias (248 = 4 * 62). Throws if the RNG keeps returning rejectable bytes.
 */
export function randomClientId(random: (n: number) => Uint8Array, length?: number): string {
  const n = length === undefined ? 23 : length;
  if (!(n >= 1 && n <= 23 && Math.floor(n) === n)) throw new Error('mqtt: client id length 1..23');
  let id = '';
  // A fair RNG rejects 8/256 of the bytes; 8 rounds failing to fill 23 characters means it is broken.
  for (let round = 0; round < 8 && id.length < n; round++) {
    const bytes = random(2 * n);
    for (let i = 0; i < bytes.length && id.length < n; i++) {
      if (bytes[i] < 248) id += ALPHABET[bytes[i] % 62];
    }
    bytes.fill(0);
  }
  if (id.length < n) throw new Error('mqtt: random source looks broken');
  return id;
}
