// Time-sortable ids (ULID layout: 48-bit milliseconds + 80 random bits, Crockford base32,
// lowercase), monotonic within one millisecond. Randomness is drawn from a pooled buffer:
// one getrandom call per 4 KiB rather than one per character.
import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

export function createSortableIdFactory(now: () => number = Date.now): () => string {
  let pool = randomBytes(4096);
  let offset = 0;
  let lastTime = -1;
  const last = new Uint8Array(10);

  function fillRandom(target: Uint8Array): void {
    if (offset + target.length > pool.length) {
      pool = randomBytes(4096);
      offset = 0;
    }
    target.set(pool.subarray(offset, offset + target.length));
    offset += target.length;
  }

  return () => {
    const time = now();
    if (time === lastTime) {
      // Same millisecond: increment the random part so ids stay strictly increasing.
      for (let i = last.length - 1; i >= 0; i--) {
        last[i] = ((last[i] ?? 0) + 1) & 0xff;
        if (last[i] !== 0) break;
      }
    } else {
      lastTime = time;
      fillRandom(last);
    }
    let out = "";
    let t = time;
    for (let i = 0; i < 10; i++) {
      out = ALPHABET[t % 32] + out;
      t = Math.floor(t / 32);
    }
    // 80 random bits → 16 base32 characters, 5 bits at a time.
    let bits = 0;
    let value = 0;
    for (const byte of last) {
      value = (value << 8) | byte;
      bits += 8;
      while (bits >= 5) {
        bits -= 5;
        out += ALPHABET[(value >> bits) & 31];
      }
      value &= (1 << bits) - 1;
    }
    return out;
  };
}
