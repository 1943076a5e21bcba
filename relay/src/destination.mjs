// Checking a delivery's target (README.md, "What the relay refuses"): scheme and port from the
// URL, then the addresses its host name resolves to, judged AFTER resolution. The address
// returned is the one the request connects to (forward.mjs), so a name cannot resolve to a
// public address for the check and to a private one for the connection (DNS rebinding).

import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { blockedAddress } from "./address.mjs";

/** A refusal the worker can record: a stable code and a sentence. */
export class RelayError extends Error {
  constructor(status, code, detail) {
    super(detail);
    this.status = status;
    this.code = code;
  }
}

const DEFAULT_PORTS = { "http:": 80, "https:": 443 };

/** The parsed target URL with its port, or a RelayError for a scheme or port not sent to. */
export function parseTarget(text, allowedPorts) {
  let url;
  try {
    url = new URL(text);
  } catch {
    throw new RelayError(422, "invalid_target", "The target is not an absolute URL.");
  }
  if (!(url.protocol in DEFAULT_PORTS)) {
    throw new RelayError(422, "invalid_target", "The target's scheme must be http or https.");
  }
  if (url.username || url.password) {
    throw new RelayError(422, "invalid_target", "The target must not carry credentials.");
  }
  const port = url.port === "" ? DEFAULT_PORTS[url.protocol] : Number(url.port);
  if (port !== 80 && port !== 443 && !allowedPorts.includes(port)) {
    throw new RelayError(422, "port_not_allowed", `Port ${port} is not one the relay sends to.`);
  }
  // The URL parser keeps IPv6 literals in brackets; the resolver and the checks want them bare.
  const hostname = url.hostname.replace(/^\[(.*)\]$/, "$1");
  return { url, port, hostname };
}

/**
 * The addresses for a host name: an IP literal is itself; a name in the override map (tests
 * only) is what the map says; anything else goes to the system resolver.
 */
async function resolveAll(hostname, hosts) {
  if (isIP(hostname)) return [hostname];
  const override = hosts.get(hostname.toLowerCase());
  if (override) return [override];
  try {
    const answers = await lookup(hostname, { all: true, order: "verbatim" });
    return answers.map((a) => a.address);
  } catch (err) {
    throw new RelayError(
      502,
      "dns_failed",
      `The target's host name did not resolve (${err.code ?? "error"}).`,
    );
  }
}

/**
 * The address to connect to. Every address the name resolves to must be public (unless
 * private destinations are allowed, for tests): a name with one private answer among public
 * ones is refused, not filtered, as it is either misconfigured or an attempt.
 */
export async function checkedAddress(hostname, { hosts, allowPrivate }) {
  const addresses = await resolveAll(hostname, hosts);
  if (addresses.length === 0)
    throw new RelayError(502, "dns_failed", "The target's host name has no address.");
  if (!allowPrivate) {
    for (const address of addresses) {
      const why = blockedAddress(address);
      if (why) {
        throw new RelayError(
          422,
          "destination_blocked",
          `The target resolves to ${why}, which the relay refuses.`,
        );
      }
    }
  }
  return addresses[0];
}
