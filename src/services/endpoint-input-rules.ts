import { invalid, ValidationFailure, type ValidationIssue } from "../errors";
import { canonicalSecretKey, generateSecretKey, isSecretKey } from "../security/ed25519";
import { base64Decode, generateSigningSecret } from "../security/secrets";

// Pure checks on endpoint input (custom headers, caller-supplied secrets), shared by the
// endpoint verbs.
//
// Custom headers an endpoint adds to every delivery. The delivery sets its own framing,
// identity and signature headers; letting a caller override them would break the request
// (content-length, host), or let one tenant forge another's signature (webhook-*, svix-*).
const RESERVED = new Set([
  "host",
  "content-length",
  "content-type",
  "content-encoding",
  "transfer-encoding",
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "upgrade",
  "expect",
  "user-agent",
]);
const RESERVED_PREFIXES = ["webhook-", "svix-", "cf-"];

// Values that are credentials: stored, sent, never read back (Svix's GET omits them and
// names them in `sensitive`). A name is judged by what it suggests, not from a fixed list:
// receivers invent names (X-Webhook-Secret, Private-Token, Ocp-Apim-Subscription-Key), and
// hiding a harmless value costs less than showing a key. Substrings catch compounds
// (x-oauth-client, apikey); short words count only as a whole part of the name (X-Sig, but
// not X-Design; X-Pass, but not X-Passenger).
const SENSITIVE_SUBSTRINGS = [
  "auth",
  "token",
  "secret",
  "passw",
  "credential",
  "cookie",
  "session",
  "signature",
  "apikey",
  "csrf",
  "xsrf",
  "jwt",
  "bearer",
];
const SENSITIVE_PARTS = new Set(["sig", "pass", "pwd", "sid", "otp"]);

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Visible ASCII, space, tab and obs-text; CR, LF and NUL would split or corrupt the request.
const VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const MAX_HEADERS = 50;
const MAX_VALUE_LENGTH = 4096;

export type Headers = Record<string, string>;

export function isSensitiveHeader(name: string): boolean {
  const lower = name.toLowerCase();
  if (SENSITIVE_SUBSTRINGS.some((s) => lower.includes(s))) return true;
  // Parts split on the separators header names use: "-", "_", ".".
  return lower.split(/[-_.]/).some((part) => SENSITIVE_PARTS.has(part) || part.endsWith("key"));
}

function headerIssue(name: string): string | null {
  const lower = name.toLowerCase();
  if (!TOKEN.test(name) || name.length > 256) return "is not a valid header name";
  if (RESERVED.has(lower) || RESERVED_PREFIXES.some((p) => lower.startsWith(p))) {
    return "is set by Edgehook and cannot be overridden";
  }
  return null;
}

/** Refuses bad names, reserved names, bad values and names repeated in another case. */
export function validateHeaders(headers: Record<string, string | null>, loc: (string | number)[]): void {
  const issues: ValidationIssue[] = [];
  const seen = new Set<string>();
  for (const [name, value] of Object.entries(headers)) {
    const problem = headerIssue(name);
    if (problem)
      issues.push({ loc: [...loc, name], msg: `Header "${name}" ${problem}`, type: "value_error" });
    if (value !== null && (!VALUE.test(value) || value.length > MAX_VALUE_LENGTH)) {
      issues.push({ loc: [...loc, name], msg: `Header "${name}" has an invalid value`, type: "value_error" });
    }
    const lower = name.toLowerCase();
    if (seen.has(lower)) {
      issues.push({ loc: [...loc, name], msg: `Header "${name}" is given twice`, type: "value_error" });
    }
    seen.add(lower);
  }
  if (issues.length) throw new ValidationFailure(issues);
}

/** Applies a patch: a null value removes the header; names match case-insensitively. */
export function mergeHeaders(current: Headers, patch: Record<string, string | null>): Headers {
  const out: Headers = {};
  const patched = new Set(Object.keys(patch).map((k) => k.toLowerCase()));
  for (const [name, value] of Object.entries(current))
    if (!patched.has(name.toLowerCase())) out[name] = value;
  for (const [name, value] of Object.entries(patch)) if (value !== null) out[name] = value;
  return out;
}

export function checkHeaderCount(headers: Headers, loc: (string | number)[]): void {
  if (Object.keys(headers).length > MAX_HEADERS) {
    throw new ValidationFailure([
      { loc, msg: `At most ${MAX_HEADERS} custom headers are allowed`, type: "value_error" },
    ]);
  }
}

/** The GET view: sensitive values are left out and their names listed instead. */
export function redactHeaders(headers: Headers): { headers: Headers; sensitive: string[] } {
  const visible: Headers = {};
  const sensitive: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (isSensitiveHeader(name)) sensitive.push(name);
    else visible[name] = value;
  }
  return { headers: visible, sensitive };
}

/** A caller-supplied secret as "whsec_" + base64 of 24 to 75 bytes (the bounds Svix accepts). */
export function normalizeSecret(secret: string, loc: (string | number)[]): string {
  const body = secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret;
  let bytes: Uint8Array;
  try {
    bytes = base64Decode(body);
  } catch {
    throw invalid(loc, "Secret must be base64, optionally prefixed with whsec_");
  }
  if (bytes.length < 24 || bytes.length > 75) throw invalid(loc, "Secret must encode 24 to 75 bytes");
  return `whsec_${body}`;
}

/**
 * A caller-supplied signing key: a whsec_ secret (v1, as normalizeSecret), or a whsk_ Ed25519
 * secret key (v1a) in its canonical 64-byte form, refused when its public half is not its seed's.
 */
export async function normalizeSigningSecret(secret: string, loc: (string | number)[]): Promise<string> {
  if (!isSecretKey(secret)) return normalizeSecret(secret, loc);
  let bytes: Uint8Array;
  try {
    bytes = base64Decode(secret.slice("whsk_".length));
  } catch {
    throw invalid(loc, "An Ed25519 key must be whsk_ followed by base64");
  }
  const key = await canonicalSecretKey(bytes);
  if (!key) throw invalid(loc, "An Ed25519 key must encode its 32-byte seed or its 64-byte secret key");
  return key;
}

/** Standard Webhooks signature schemes: v1 (HMAC, whsec_) and v1a (Ed25519, whsk_). */
export type SignatureScheme = "v1" | "v1a";

export const schemeOf = (secret: string): SignatureScheme => (isSecretKey(secret) ? "v1a" : "v1");

/**
 * The key an endpoint signs with next: the caller's, or a new one in `scheme` (else `fallback`).
 * A key and a scheme that disagree are refused rather than one silently winning.
 */
export async function chooseSigningSecret(
  given: { secret?: string | null; scheme?: SignatureScheme | null },
  loc: { secret: (string | number)[]; scheme: (string | number)[] },
  fallback: SignatureScheme,
): Promise<string> {
  if (!given.secret)
    return (given.scheme ?? fallback) === "v1a" ? generateSecretKey() : generateSigningSecret();
  const secret = await normalizeSigningSecret(given.secret, loc.secret);
  if (given.scheme && given.scheme !== schemeOf(secret))
    throw invalid(loc.scheme, `The given key signs ${schemeOf(secret)}, not ${given.scheme}`);
  return secret;
}
