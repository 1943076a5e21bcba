// Destination URL guard (DESIGN.md "Security"): run when an endpoint is created or changed
// and again before every send. It works on the WHATWG-parsed URL, never on the raw string:
// the parser canonicalises numeric host forms (2130706433, 0x7f.0.0.1, 0177.0.0.1, 127.1)
// to dotted decimal and IPv6 to its compressed hex form, so one check per family covers
// every spelling of an address (ip-address.ts).
//
// Workers have no DNS API, so a public name that resolves to a private address cannot be
// caught here: that takes a check after resolution (the egress relay of DESIGN.md). What the
// guard can refuse is every literal address and every name that is local by definition or by
// convention.

import type { Config } from "../config";
import { blockedV4, blockedV6, octetsToV4, parseV4, parseV6 } from "./ip-address";

export type UrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

/** The part of the configuration the guard reads. */
export type DestinationPolicy = Pick<Config, "allowPrivateDestinations" | "allowedDestinationPorts">;

/** Ports every deployment may deliver to; ALLOWED_DESTINATION_PORTS adds to them. */
const DEFAULT_PORTS = [80, 443];

// A label that names the local host wherever it appears (localhost.localdomain, a.localhost,
// localhost6.localdomain6); nobody delivers webhooks to a public name built on it.
const LOCALHOST_LABELS = new Set(["localhost", "localhost4", "localhost6", "ip6-localhost", "ip6-loopback"]);

// Top-level names that never resolve on the public internet: special-use names (RFC 6761,
// 6762, 7686, 8375, 9476: .local, .localhost, .test, .example, .invalid, .onion, .alt, .arpa
// with home.arpa and the reverse zones), names that private networks use by convention
// (RFC 6762 appendix G, ICANN's undelegated .internal) and Kubernetes' service names (.svc,
// .cluster.local).
const LOCAL_TLDS = new Set([
  "localhost",
  "local",
  "localdomain",
  "localdomain6",
  "internal",
  "intranet",
  "lan",
  "home",
  "corp",
  "private",
  "svc",
  "test",
  "example",
  "invalid",
  "onion",
  "alt",
  "arpa",
]);

// Cloud metadata names: single labels that resolve through the host's search domain, and
// Google's under the public .goog; the others end in .internal.
const LOCAL_NAMES = new Set(["metadata", "instance-data", "metadata.goog"]);

// Wildcard-DNS services: a name under them resolves to whatever address the name spells, in
// forms that keep growing (dotted, dashed, hex, IPv6, "make-...-rr" rebinding), or always to
// 127.0.0.1. Refused outright rather than by decoding each service's scheme: a receiver on a
// public address has a real name or can use the address itself.
const WILDCARD_DNS = [
  "nip.io",
  "sslip.io",
  "xip.io",
  "xip.name",
  "traefik.me",
  "localtest.me",
  "lvh.me",
  "vcap.me",
  "lacolhost.com",
  "localhost.direct",
  "local.gd",
  "backname.io",
  "1u.ms",
  "rbndr.us",
  "addr.tools",
];

/** A blocked IPv4 address spelled in four dotted labels or four dashed numbers, or null. */
function embeddedBlockedV4(labels: string[]): { text: string; what: string } | null {
  const runs = [labels, ...labels.map((l) => l.split("-"))];
  for (const parts of runs) {
    for (let i = 0; i + 4 <= parts.length; i++) {
      const addr = octetsToV4(parts.slice(i, i + 4));
      const what = addr === null ? null : blockedV4(addr);
      if (what) return { text: parts.slice(i, i + 4).join("."), what };
    }
  }
  return null;
}

/**
 * The URL parser canonicalises numeric hosts only when the last label is a number, so
 * "127.1.." stays a name: with its trailing dots gone it is parsed again as a host.
 */
function numericHost(name: string): number | null {
  try {
    return parseV4(new URL(`http://${name}/`).hostname);
  } catch {
    return null;
  }
}

/** Why the domain name is not a public destination, or null when it may be one. */
function blockedName(hostname: string): string | null {
  // Trailing dots name the same host ("localhost.." is localhost).
  const name = hostname.toLowerCase().replace(/\.+$/, "");
  const addr = numericHost(name);
  if (addr !== null) {
    const what = blockedV4(addr);
    return what ? `the host is ${what}` : null;
  }
  const labels = name.split(".");
  if (labels.some((l) => l === "")) return `the host "${hostname}" has an empty label`;
  const local = `the host "${hostname}" is a local or internal name`;
  if (LOCAL_NAMES.has(name) || LOCALHOST_LABELS.has(name)) return local;
  if (labels.length < 2) return `the host "${hostname}" is not a fully qualified domain name`;
  if (WILDCARD_DNS.some((d) => name === d || name.endsWith(`.${d}`))) {
    return `the host "${hostname}" is under a wildcard-DNS service that maps names to any address`;
  }
  if (labels.some((l) => LOCALHOST_LABELS.has(l))) return local;
  if (LOCAL_TLDS.has(labels[labels.length - 1] ?? "")) return local;
  const embedded = embeddedBlockedV4(labels);
  if (embedded) return `the host "${hostname}" embeds ${embedded.text}, ${embedded.what}`;
  return null;
}

/** Why the hostname is not a public destination, or null when it may be one. */
function blockedHost(hostname: string): string | null {
  if (hostname.startsWith("[") && hostname.endsWith("]")) {
    const groups = parseV6(hostname.slice(1, -1));
    if (!groups) return "the IPv6 address is malformed";
    const what = blockedV6(groups);
    return what ? `the host is ${what}` : null;
  }
  const addr = parseV4(hostname);
  if (addr !== null) {
    const what = blockedV4(addr);
    return what ? `the host is ${what}` : null;
  }
  return blockedName(hostname);
}

function blockedPort(url: URL, allowed: readonly number[]): string | null {
  // The parser drops a port equal to the scheme's default (https://x:443 has port "").
  const port = url.port === "" ? 443 : Number(url.port);
  if (DEFAULT_PORTS.includes(port) || allowed.includes(port)) return null;
  return `port ${port} is not allowed (80, 443 and ALLOWED_DESTINATION_PORTS are)`;
}

/**
 * Checks that `url` is a destination Edgehook may deliver to. `allowPrivateDestinations`
 * (local development, e2e receivers on random local ports) lifts the private-address,
 * local-name, port and plain-http checks only: bad schemes and credentials in the URL are
 * refused always.
 */
export function checkDestinationUrl(url: string, policy: DestinationPolicy): UrlCheck {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, reason: "URL is not a valid absolute URL" };
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    return { ok: false, reason: `URL scheme must be https, not "${parsed.protocol.slice(0, -1)}"` };
  }
  if (parsed.username || parsed.password) {
    return { ok: false, reason: "URL must not contain a username or password" };
  }
  if (!parsed.hostname) return { ok: false, reason: "URL must have a host" };
  if (policy.allowPrivateDestinations) return { ok: true, url: parsed };
  if (parsed.protocol !== "https:") return { ok: false, reason: "URL must use https" };
  const blocked = blockedHost(parsed.hostname);
  if (blocked) return { ok: false, reason: `URL is not a public destination: ${blocked}` };
  const port = blockedPort(parsed, policy.allowedDestinationPorts);
  if (port) return { ok: false, reason: `URL ${port}` };
  return { ok: true, url: parsed };
}
