import { getConfig } from "../config";

// mTLS client certificates. An operator uploads a certificate (`wrangler mtls-certificate
// upload`), binds it in wrangler.toml ([[mtls_certificates]]) and names the binding in
// MTLS_CERTIFICATES; an endpoint naming it sends through the binding's fetch, which presents
// the certificate in the TLS handshake. Certificates are bound at deploy time: the worker holds
// no keys and cannot load one per request.

/** The fetch a delivery goes through: the global one, or a certificate binding's. */
export type DeliveryFetch = (input: string, init: RequestInit) => Promise<Response>;

export type FetcherChoice = { ok: true; fetch: DeliveryFetch } | { ok: false; reason: string };

const plainFetch: DeliveryFetch = (input, init) => fetch(input, init);

function isFetcher(value: unknown): value is { fetch: DeliveryFetch } {
  return typeof value === "object" && value !== null && typeof Reflect.get(value, "fetch") === "function";
}

/**
 * The fetch for an endpoint's deliveries. A name not (or no longer) declared, or declared but
 * not bound in this deployment, fails the attempt: sending without the certificate would only
 * be refused by the receiver, or worse, accepted by a receiver that merely asks for one.
 */
export function deliveryFetch(env: Env, certificate: string | null): FetcherChoice {
  if (!certificate) return { ok: true, fetch: plainFetch };
  if (!getConfig(env).mtlsCertificates.includes(certificate)) {
    return { ok: false, reason: `mTLS certificate "${certificate}" is not declared in MTLS_CERTIFICATES` };
  }
  const binding: unknown = Reflect.get(env, certificate);
  if (!isFetcher(binding)) {
    return {
      ok: false,
      reason: `mTLS certificate "${certificate}" has no [[mtls_certificates]] binding in this deployment`,
    };
  }
  return { ok: true, fetch: (input, init) => binding.fetch(input, init) };
}
