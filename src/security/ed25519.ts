import { base64Decode, base64Encode } from "./secrets";

// Standard Webhooks asymmetric keys (scheme "v1a"): "whsk_" + base64 of the 64-byte Ed25519
// secret key (32-byte seed then 32-byte public key: the form of libsodium and Go's
// crypto/ed25519), and "whpk_" + base64 of the 32-byte public key. A bare 32-byte seed is
// accepted on input and completed with its public key.
export const SECRET_KEY_PREFIX = "whsk_";
export const PUBLIC_KEY_PREFIX = "whpk_";

// PKCS#8 header for an Ed25519 private key (RFC 8410): WebCrypto imports seeds only this way.
const PKCS8_PREFIX = new Uint8Array([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);

export const isSecretKey = (secret: string) => secret.startsWith(SECRET_KEY_PREFIX);

function pkcs8(seed: Uint8Array): Uint8Array {
  const out = new Uint8Array(PKCS8_PREFIX.length + 32);
  out.set(PKCS8_PREFIX);
  out.set(seed, PKCS8_PREFIX.length);
  return out;
}

/** The CryptoKey that signs with `secretKey` ("whsk_..."). */
export function importSigningKey(secretKey: string): Promise<CryptoKey> {
  const seed = base64Decode(secretKey.slice(SECRET_KEY_PREFIX.length)).slice(0, 32);
  return crypto.subtle.importKey("pkcs8", pkcs8(seed), { name: "Ed25519" }, false, ["sign"]);
}

/** The public key of a 32-byte seed, via the JWK export (WebCrypto derives nothing else). */
async function publicKeyOf(seed: Uint8Array): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("pkcs8", pkcs8(seed), { name: "Ed25519" }, true, ["sign"]);
  const jwk = (await crypto.subtle.exportKey("jwk", key)) as JsonWebKey;
  const b64 = (jwk.x ?? "").replace(/-/g, "+").replace(/_/g, "/");
  return base64Decode(b64.padEnd(Math.ceil(b64.length / 4) * 4, "="));
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * The canonical "whsk_" form of caller-supplied key bytes (a 32-byte seed or a 64-byte secret
 * key), or null when they are not one: a wrong length, or a public half that is not the seed's.
 */
export async function canonicalSecretKey(bytes: Uint8Array): Promise<string | null> {
  if (bytes.length !== 32 && bytes.length !== 64) return null;
  const seed = bytes.slice(0, 32);
  const pub = await publicKeyOf(seed);
  if (bytes.length === 64 && !sameBytes(bytes.slice(32), pub)) return null;
  return secretKeyString(seed, pub);
}

function secretKeyString(seed: Uint8Array, pub: Uint8Array): string {
  const out = new Uint8Array(64);
  out.set(seed);
  out.set(pub, 32);
  return `${SECRET_KEY_PREFIX}${base64Encode(out)}`;
}

/** A new endpoint key pair, as its "whsk_" secret key. */
export async function generateSecretKey(): Promise<string> {
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
  const der = new Uint8Array((await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer);
  const pub = new Uint8Array((await crypto.subtle.exportKey("raw", pair.publicKey)) as ArrayBuffer);
  return secretKeyString(der.slice(der.length - 32), pub);
}

/** The "whpk_" public key a receiver verifies with; the secret key stays in Edgehook. */
export function publicKeyFor(secretKey: string): string {
  const bytes = base64Decode(secretKey.slice(SECRET_KEY_PREFIX.length));
  return `${PUBLIC_KEY_PREFIX}${base64Encode(bytes.slice(32, 64))}`;
}
