import { ApiError } from "../errors";
import { type KeyEntry, type Keyring, type KeySource, keyringFrom } from "./keyring";

// Secrets at rest: AES-256-GCM under the keyring (src/security/keyring.ts). Stored forms:
//   "v2.<kid>." + base64(12-byte IV || ciphertext+tag), with associated data naming the row
//     and column ("endpoints:<id>:secrets"), so a ciphertext copied elsewhere fails to decrypt;
//   "v1." + base64(IV || ciphertext+tag), no kid and no associated data: written before the
//     keyring, still read (under any listed key) until the re-encryption moves it to v2.
// Plaintexts never reach a log line.
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export type { KeySource } from "./keyring";

/** Where a ciphertext lives: its associated data. */
export type EncryptedColumn = "secrets" | "headers";
export const endpointField = (endpointId: string, column: EncryptedColumn) =>
  `endpoints:${endpointId}:${column}`;

/**
 * A stored ciphertext no configured key opens: a key removed too early, or a ciphertext moved
 * from another row. A server fault, answered in the API's error shape with the reason.
 */
export class UndecryptableSecret extends ApiError {
  constructor(field: string, reason: string) {
    super(500, "internal_error", `The stored value ${field} cannot be decrypted: ${reason}`);
    this.name = "UndecryptableSecret";
  }
}

export function base64Encode(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

export function base64Decode(value: string): Uint8Array {
  const s = atob(value);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

async function seal(entry: KeyEntry, field: string, plaintext: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const params = { name: "AES-GCM", iv, additionalData: encoder.encode(field) };
  const ct = new Uint8Array(await crypto.subtle.encrypt(params, await entry.key, encoder.encode(plaintext)));
  const out = new Uint8Array(iv.length + ct.length);
  out.set(iv);
  out.set(ct, iv.length);
  return `v2.${entry.kid}.${base64Encode(out)}`;
}

/** The plaintext, or null when `entry` does not open `payload` (wrong key or associated data). */
async function open(entry: KeyEntry, payload: string, field: string | null): Promise<string | null> {
  try {
    const bytes = base64Decode(payload);
    const iv = bytes.slice(0, 12);
    const params =
      field === null
        ? { name: "AES-GCM", iv }
        : { name: "AES-GCM", iv, additionalData: encoder.encode(field) };
    return decoder.decode(await crypto.subtle.decrypt(params, await entry.key, bytes.slice(12)));
  } catch {
    return null;
  }
}

/** The kid a stored value is encrypted under ("v1" for the keyless format), or null if unknown. */
export function storedKeyId(stored: string): string | null {
  if (stored.startsWith("v1.")) return "v1";
  const match = /^v2\.([^.]+)\./.exec(stored);
  return match?.[1] ?? null;
}

/** True when `stored` is under the newest key (else the re-encryption moves it). */
export const isUnderNewestKey = (source: KeySource, stored: string) =>
  stored.startsWith(`v2.${keyringFrom(source).newest.kid}.`);

export async function encryptString(source: KeySource, field: string, plaintext: string): Promise<string> {
  return seal(keyringFrom(source).newest, field, plaintext);
}

export async function decryptString(source: KeySource, field: string, stored: string): Promise<string> {
  const ring = keyringFrom(source);
  const kid = storedKeyId(stored);
  if (kid === "v1") return openV1(ring, field, stored.slice(3));
  if (kid === null) throw undecryptable(field, "unknown ciphertext format");
  const entry = ring.byKid.get(kid);
  if (!entry) throw undecryptable(field, `its key id "${kid}" is not in the keyring`);
  const plaintext = await open(entry, stored.slice(kid.length + 4), field);
  if (plaintext === null)
    throw undecryptable(field, `key "${kid}" does not open it (another key, or it belongs to another row)`);
  return plaintext;
}

// v1 names no key: it was written under ENCRYPTION_KEY, which a keyring lists under some kid.
async function openV1(ring: Keyring, field: string, payload: string): Promise<string> {
  for (const entry of ring.all) {
    const plaintext = await open(entry, payload, null);
    if (plaintext !== null) return plaintext;
  }
  throw undecryptable(field, "no listed key opens this v1 ciphertext");
}

function undecryptable(field: string, reason: string): UndecryptableSecret {
  // The row and the kid, never the value: operators need to know which row and which key.
  console.error("undecryptable stored secret", field, reason);
  return new UndecryptableSecret(field, reason);
}

export const encryptJson = (source: KeySource, field: string, value: unknown) =>
  encryptString(source, field, JSON.stringify(value));

export async function decryptJson<T>(source: KeySource, field: string, stored: string): Promise<T> {
  return JSON.parse(await decryptString(source, field, stored)) as T;
}

/** A new endpoint signing secret: "whsec_" + base64 of 24 random bytes (Svix's default size). */
export function generateSigningSecret(bytes = 24): string {
  return `whsec_${base64Encode(crypto.getRandomValues(new Uint8Array(bytes)))}`;
}

/**
 * One endpoint's signing keys. `current` signs; each of `previous` signs too until its
 * expiry (ms), so receivers holding the old secret keep verifying during a rotation.
 */
export interface SigningKeys {
  current: string;
  previous: { key: string; expiresAt: number }[];
}

/** The secrets valid at `now`, current first. */
export function activeSecrets(keys: SigningKeys, now: number): string[] {
  return [keys.current, ...keys.previous.filter((p) => p.expiresAt > now).map((p) => p.key)];
}
