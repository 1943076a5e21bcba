// Prefixed, time-ordered ids: "<prefix>_" + 8 base62 chars of the creation time in ms +
// 14 random base62 chars. Fixed width, so string order is creation order: list cursors
// stay stable while rows are inserted, and a time bound is an id bound (see idAt).
const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const TIME_CHARS = 8;
const RANDOM_CHARS = 14;

export type IdPrefix = "app" | "ep" | "msg" | "atmpt" | "evt";

function encodeTime(ms: number): string {
  let n = Math.max(0, Math.floor(ms));
  let out = "";
  for (let i = 0; i < TIME_CHARS; i++) {
    out = ALPHABET[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

// Within one millisecond an isolate increments the previous random part instead of drawing
// a new one, so ids it creates in a row sort in creation order (as ULIDs do).
let lastTime = -1;
let lastRandom: number[] = [];

function nextRandom(time: number): number[] {
  if (time === lastTime) {
    const digits = [...lastRandom];
    let i = digits.length - 1;
    while (i >= 0 && digits[i] === 61) digits[i--] = 0;
    if (i >= 0) {
      digits[i] = (digits[i] ?? 0) + 1;
      lastRandom = digits;
      return digits;
    }
  }
  lastTime = time;
  // Mod-62 bias is irrelevant here: uniqueness, not uniformity, is what the bits are for.
  lastRandom = [...crypto.getRandomValues(new Uint8Array(RANDOM_CHARS))].map((b) => b % 62);
  return lastRandom;
}

export function newId(prefix: IdPrefix, now: number = Date.now()): string {
  const time = Math.floor(now);
  const random = nextRandom(time)
    .map((d) => ALPHABET[d])
    .join("");
  return `${prefix}_${encodeTime(time)}${random}`;
}

/** The smallest id of the given prefix created at or after `ms`: a time bound as an id bound. */
export function idAt(prefix: IdPrefix, ms: number): string {
  return `${prefix}_${encodeTime(ms)}`;
}

/** The creation time (unix ms) an id encodes; NaN when `id` is not one of ours. */
export function idTime(id: string): number {
  const at = id.indexOf("_");
  const time = id.slice(at + 1, at + 1 + TIME_CHARS);
  if (at < 0 || time.length !== TIME_CHARS) return Number.NaN;
  let n = 0;
  for (const ch of time) {
    const d = ALPHABET.indexOf(ch);
    if (d < 0) return Number.NaN;
    n = n * 62 + d;
  }
  return n;
}

/**
 * Message ids name their log shard in the two characters after the time (base62, so up to
 * 3,844 shards): a lookup by id goes straight to the shard that holds it. The shard sits before
 * the random part so that ids one isolate creates within a millisecond still sort in order.
 */
const SHARD_CHARS = 2;
export const MAX_SHARDS = 62 ** SHARD_CHARS;
const SHARD_AT = "msg_".length + TIME_CHARS;

export function newMessageId(shard: number, now: number = Date.now()): string {
  const id = newId("msg", now);
  const s = Math.max(0, Math.min(MAX_SHARDS - 1, Math.floor(shard)));
  return (
    id.slice(0, SHARD_AT) + ALPHABET[Math.floor(s / 62)] + ALPHABET[s % 62] + id.slice(SHARD_AT + SHARD_CHARS)
  );
}

/** The shard a message id names; null when it is not a message id. */
export function shardOfMessageId(id: string): number | null {
  if (!id.startsWith("msg_") || id.length !== SHARD_AT + RANDOM_CHARS) return null;
  const hi = ALPHABET.indexOf(id[SHARD_AT] ?? "");
  const lo = ALPHABET.indexOf(id[SHARD_AT + 1] ?? "");
  return hi < 0 || lo < 0 ? null : hi * 62 + lo;
}
