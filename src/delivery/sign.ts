import { importSigningKey, isSecretKey } from "../security/ed25519";
import { base64Decode, base64Encode } from "../security/secrets";

// Standard Webhooks signatures over "{id}.{timestamp}.{body}", one per active secret, each in
// its secret's scheme: a "whsec_" secret signs "v1," + base64(HMAC-SHA256), the key being the
// base64-decoded secret after its prefix; a "whsk_" Ed25519 secret key signs "v1a," +
// base64(Ed25519 signature). During a rotation overlap the signatures are space-separated; a
// receiver accepts the request when any one verifies.
const encoder = new TextEncoder();
const keyCache = new Map<string, Promise<CryptoKey>>();
const MAX_CACHED_KEYS = 1000;

function importKey(secret: string): Promise<CryptoKey> {
  if (isSecretKey(secret)) return importSigningKey(secret);
  const raw = base64Decode(secret.startsWith("whsec_") ? secret.slice(6) : secret);
  return crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
}

function signingKey(secret: string): Promise<CryptoKey> {
  let key = keyCache.get(secret);
  if (!key) {
    key = importKey(secret);
    // Bounded: an isolate serving many endpoints must not grow without limit.
    if (keyCache.size >= MAX_CACHED_KEYS) keyCache.clear();
    keyCache.set(secret, key);
  }
  return key;
}

export async function signPayload(
  secrets: readonly string[],
  msgId: string,
  timestampSeconds: number,
  body: string,
): Promise<string> {
  const content = encoder.encode(`${msgId}.${timestampSeconds}.${body}`);
  const signatures = await Promise.all(
    secrets.map(async (secret) => {
      const key = await signingKey(secret);
      const scheme = isSecretKey(secret) ? "v1a" : "v1";
      const signature = await crypto.subtle.sign(key.algorithm.name, key, content);
      return `${scheme},${base64Encode(new Uint8Array(signature))}`;
    }),
  );
  return signatures.join(" ");
}

export const USER_AGENT = "Edgehook/0.1 (+https://github.com/edgehook/edgehook)";

/**
 * The headers of one attempt: the endpoint's custom headers first, so that they can never
 * override the signature, identity or content-type headers set after them.
 */
export async function webhookHeaders(opts: {
  secrets: readonly string[];
  msgId: string;
  timestampSeconds: number;
  body: string;
  custom?: Record<string, string> | null;
}): Promise<Headers> {
  const signature = await signPayload(opts.secrets, opts.msgId, opts.timestampSeconds, opts.body);
  const headers = new Headers(opts.custom ?? {});
  const timestamp = String(opts.timestampSeconds);
  headers.set("content-type", "application/json");
  headers.set("user-agent", USER_AGENT);
  headers.set("webhook-id", opts.msgId);
  headers.set("webhook-timestamp", timestamp);
  headers.set("webhook-signature", signature);
  headers.set("svix-id", opts.msgId);
  headers.set("svix-timestamp", timestamp);
  headers.set("svix-signature", signature);
  return headers;
}
