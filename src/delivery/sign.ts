import { base64Decode, base64Encode } from "../security/secrets";

// Standard Webhooks signatures: "v1," + base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")),
// the key being the base64-decoded secret after its "whsec_" prefix. During a rotation overlap
// every active secret signs and the signatures are space-separated; a receiver accepts the
// request when any one verifies.
const encoder = new TextEncoder();
const keyCache = new Map<string, Promise<CryptoKey>>();
const MAX_CACHED_KEYS = 1000;

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keyCache.get(secret);
  if (!key) {
    const raw = base64Decode(secret.startsWith("whsec_") ? secret.slice(6) : secret);
    key = crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
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
      const mac = await crypto.subtle.sign("HMAC", await hmacKey(secret), content);
      return `v1,${base64Encode(new Uint8Array(mac))}`;
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
