// Secrets at rest: AES-256-GCM under ENCRYPTION_KEY (a Worker secret, base64 of 32 bytes).
// Stored form: "v1." + base64(12-byte IV || ciphertext+tag). The key is imported once per
// isolate per key value. Plaintexts never reach a log line.
const keyCache = new Map<string, Promise<CryptoKey>>();
const encoder = new TextEncoder();
const decoder = new TextDecoder();

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

function importKey(encodedKey: string | undefined): Promise<CryptoKey> {
  if (!encodedKey) throw new Error("ENCRYPTION_KEY is not set");
  let key = keyCache.get(encodedKey);
  if (!key) {
    let raw: Uint8Array;
    try {
      raw = base64Decode(encodedKey.trim());
    } catch {
      throw new Error("ENCRYPTION_KEY must be base64");
    }
    if (raw.length !== 32) throw new Error("ENCRYPTION_KEY must be base64 of exactly 32 bytes");
    key = crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
    keyCache.set(encodedKey, key);
  }
  return key;
}

export async function encryptString(encodedKey: string | undefined, plaintext: string): Promise<string> {
  const key = await importKey(encodedKey);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = new Uint8Array(
    await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, encoder.encode(plaintext)),
  );
  const out = new Uint8Array(iv.length + ct.length);
  out.set(iv);
  out.set(ct, iv.length);
  return `v1.${base64Encode(out)}`;
}

export async function decryptString(encodedKey: string | undefined, stored: string): Promise<string> {
  if (!stored.startsWith("v1.")) throw new Error("unknown ciphertext format");
  const key = await importKey(encodedKey);
  const bytes = base64Decode(stored.slice(3));
  const pt = await crypto.subtle.decrypt({ name: "AES-GCM", iv: bytes.slice(0, 12) }, key, bytes.slice(12));
  return decoder.decode(pt);
}

export const encryptJson = (encodedKey: string | undefined, value: unknown) =>
  encryptString(encodedKey, JSON.stringify(value));

export async function decryptJson<T>(encodedKey: string | undefined, stored: string): Promise<T> {
  return JSON.parse(await decryptString(encodedKey, stored)) as T;
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
