import { randomBytes } from 'node:crypto';

const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const idLength = 12;

/** A new egress id: `EG_` followed by 12 random base-62 characters, like LiveKit's. */
export function newEgressId(): string {
  const bytes = randomBytes(idLength * 2);
  let out = '';
  // Rejection sampling keeps the distribution uniform: 62 does not divide 256.
  for (const byte of bytes) {
    if (byte >= 248) continue;
    out += alphabet.charAt(byte % 62);
    if (out.length === idLength) return `EG_${out}`;
  }
  return newEgressId();
}

const egressIdPattern = /^EG_[0-9A-Za-z]{1,64}$/;

/** Whether `value` has the shape of an egress id (used before any store lookup). */
export function isEgressId(value: string): boolean {
  return egressIdPattern.test(value);
}
