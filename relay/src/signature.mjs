// Authenticating the worker (README.md, "Protocol"): an HMAC-SHA256 under a shared secret over
// the relay request's method and path, its id, its timestamp, the target URL and the SHA-256 of
// the raw body, plus a replay window and a cache of the ids seen inside it.

import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/** The string both sides sign; one field per line, in this order. */
export function canonicalString({ method, path, id, timestamp, target, body }) {
  const bodyHash = createHash("sha256").update(body).digest("hex");
  return ["edgehook-relay-v1", method, path, id, timestamp, target, bodyHash].join("\n");
}

/** The `X-Relay-Signature` value for a request: `v1=` and the base64 HMAC. */
export function sign(secret, fields) {
  return `v1=${createHmac("sha256", secret).update(canonicalString(fields)).digest("base64")}`;
}

/** Whether one of the header's space-separated `v1=` signatures matches one of the secrets. */
export function signatureMatches(secrets, header, fields) {
  const given = header
    .split(" ")
    .filter((s) => s.startsWith("v1="))
    .map((s) => Buffer.from(s.slice(3), "base64"));
  const text = canonicalString(fields);
  return secrets.some((secret) => {
    const expected = createHmac("sha256", secret).update(text).digest();
    return given.some((g) => g.length === expected.length && timingSafeEqual(g, expected));
  });
}

/**
 * The ids of accepted requests until their timestamp leaves the window: a replay inside the
 * window is refused by its id, one after it by its timestamp. Bounded, so that a flood of
 * valid requests cannot grow it without end; when full, new requests are refused (the worker
 * fails over) rather than old ids forgotten.
 */
export class ReplayCache {
  constructor(windowSeconds, maxEntries = 200_000) {
    this.windowSeconds = windowSeconds;
    this.maxEntries = maxEntries;
    this.expiries = new Map();
    this.sweptAt = 0;
  }

  /** "ok" after recording the id, "replayed" when seen, "full" when there is no room. */
  admit(id, timestamp, nowSeconds) {
    this.sweep(nowSeconds);
    if (this.expiries.has(id)) return "replayed";
    if (this.expiries.size >= this.maxEntries) return "full";
    this.expiries.set(id, timestamp + this.windowSeconds);
    return "ok";
  }

  /** Drops expired ids, at most once a second so that a busy relay does not walk the map per request. */
  sweep(nowSeconds) {
    if (nowSeconds === this.sweptAt) return;
    this.sweptAt = nowSeconds;
    for (const [id, expiry] of this.expiries) if (expiry < nowSeconds) this.expiries.delete(id);
  }
}
