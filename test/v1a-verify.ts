import { createPublicKey, verify } from "node:crypto";

// How a receiver verifies v1a (Ed25519) signatures with the endpoint's whpk_ public key, as
// the README shows: the reference libraries do not verify v1a yet.
const fromBase64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const base64url = (s: string) => s.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

/** The v1a signatures (base64) of a webhook-signature header. */
export function v1aSignatures(header: string): string[] {
  return header
    .split(" ")
    .filter((s) => s.startsWith("v1a,"))
    .map((s) => s.slice(4));
}

/** node:crypto: true when one v1a signature of `header` is `publicKey`'s over id.timestamp.body. */
export function nodeVerifiesV1a(
  publicKey: string,
  header: string,
  id: string,
  ts: string | number,
  body: string,
) {
  const key = createPublicKey({
    key: { kty: "OKP", crv: "Ed25519", x: base64url(publicKey.slice(5)) },
    format: "jwk",
  });
  const content = new TextEncoder().encode(`${id}.${ts}.${body}`);
  return v1aSignatures(header).some((sig) => verify(null, content, key, fromBase64(sig)));
}

/** crypto.subtle: the same check with WebCrypto's Ed25519. */
export async function subtleVerifiesV1a(
  publicKey: string,
  header: string,
  id: string,
  ts: string | number,
  body: string,
): Promise<boolean> {
  const key = await crypto.subtle.importKey(
    "raw",
    fromBase64(publicKey.slice(5)),
    { name: "Ed25519" },
    false,
    ["verify"],
  );
  const content = new TextEncoder().encode(`${id}.${ts}.${body}`);
  for (const sig of v1aSignatures(header))
    if (await crypto.subtle.verify("Ed25519", key, fromBase64(sig), content)) return true;
  return false;
}
