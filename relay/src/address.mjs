// Which resolved addresses the relay refuses to connect to. A port of the worker's
// src/security/ip-address.ts (kept standalone: the relay has no build step and no imports from
// the worker). IPv6 forms that carry an IPv4 address (mapped, translated, NAT64, 6to4, ISATAP)
// are judged by that address, so no IPv6 spelling reaches a blocked IPv4 host.

import { isIPv4, isIPv6 } from "node:net";

const v4 = (a, b, c, d) => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;

/** Everything that is not a globally routable unicast IPv4 address: [base, bits, what]. */
const BLOCKED_V4 = [
  [v4(0, 0, 0, 0), 8, "a 'this network' address"],
  [v4(10, 0, 0, 0), 8, "a private address"],
  [v4(100, 64, 0, 0), 10, "a carrier-grade NAT address"],
  [v4(127, 0, 0, 0), 8, "a loopback address"],
  [v4(169, 254, 0, 0), 16, "a link-local or cloud metadata address"],
  [v4(172, 16, 0, 0), 12, "a private address"],
  [v4(192, 0, 0, 0), 24, "a reserved address"],
  [v4(192, 0, 2, 0), 24, "a documentation address"],
  [v4(192, 88, 99, 0), 24, "a reserved address"],
  [v4(192, 168, 0, 0), 16, "a private address"],
  [v4(198, 18, 0, 0), 15, "a benchmarking address"],
  [v4(198, 51, 100, 0), 24, "a documentation address"],
  [v4(203, 0, 113, 0), 24, "a documentation address"],
  [v4(224, 0, 0, 0), 4, "a multicast address"],
  [v4(240, 0, 0, 0), 4, "a reserved or broadcast address"],
];

function inCidr4(addr, base, bits) {
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return (addr & mask) >>> 0 === (base & mask) >>> 0;
}

function parseV4(text) {
  const parts = text.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p))) return null;
  const [a, b, c, d] = parts.map(Number);
  if (a > 255 || b > 255 || c > 255 || d > 255) return null;
  return v4(a, b, c, d);
}

function blockedV4(addr) {
  for (const [base, bits, what] of BLOCKED_V4) if (inCidr4(addr, base, bits)) return what;
  return null;
}

/** The 8 groups of an IPv6 address (no brackets, no zone), or null. */
function parseV6(text) {
  let host = text;
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(host);
  if (dotted) {
    const addr = parseV4(dotted[2]);
    if (addr === null) return null;
    host = `${dotted[1]}${(addr >>> 16).toString(16)}:${(addr & 0xffff).toString(16)}`;
  }
  const halves = host.split("::");
  if (halves.length > 2) return null;
  const toGroups = (s) => (s === "" ? [] : s.split(":"));
  const head = toGroups(halves[0]);
  const rest = halves.length === 2 ? toGroups(halves[1]) : [];
  if ([...head, ...rest].some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return null;
  const explicit = head.length + rest.length;
  if (halves.length === 1 ? explicit !== 8 : explicit > 7) return null;
  const zeros = new Array(8 - explicit).fill(0);
  return [...head.map((g) => Number.parseInt(g, 16)), ...zeros, ...rest.map((g) => Number.parseInt(g, 16))];
}

const v4At = (g, from) => ((g[from] << 16) | g[from + 1]) >>> 0;
const zeroUpTo = (g, end) => g.slice(0, end).every((x) => x === 0);

/** The IPv4 address an IPv6 address carries; `final` forms reach exactly that IPv4 host. */
function embeddedV4(g) {
  const [g0, g1, g2, g3, g4, g5] = g;
  if (zeroUpTo(g, 5) && g5 === 0xffff) return { addr: v4At(g, 6), form: "an IPv4-mapped", final: true };
  if (zeroUpTo(g, 4) && g4 === 0xffff && g5 === 0) {
    return { addr: v4At(g, 6), form: "an IPv4-translated", final: true };
  }
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) {
    return { addr: v4At(g, 6), form: "a NAT64", final: true };
  }
  if (g0 === 0x2002) return { addr: v4At(g, 1), form: "a 6to4", final: false };
  if ((g4 & 0xfdff) === 0 && g5 === 0x5efe) return { addr: v4At(g, 6), form: "an ISATAP", final: false };
  return null;
}

function blockedV6Range(g) {
  const [g0, g1, g2, g3] = g;
  if (zeroUpTo(g, 6)) return "a loopback, unspecified or IPv4-compatible address";
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 1) return "a local-use NAT64 address";
  if (g0 === 0x100 && g1 === 0 && g2 === 0 && g3 === 0) return "a discard-only address";
  if ((g0 & 0xfe00) === 0xfc00) return "a unique-local address";
  if ((g0 & 0xffc0) === 0xfe80) return "a link-local address";
  if ((g0 & 0xffc0) === 0xfec0) return "a site-local address";
  if ((g0 & 0xff00) === 0xff00) return "a multicast address";
  // Only 2000::/3 is allocated for global unicast; the rest is reserved by IANA.
  if ((g0 & 0xe000) !== 0x2000) return "a reserved address";
  if (g0 === 0x2001 && g1 === 0) return "a Teredo address";
  if (g0 === 0x2001 && g1 < 0x200) return "an IETF special-purpose address";
  if (g0 === 0x2001 && g1 === 0xdb8) return "a documentation address";
  if (g0 === 0x3fff && g1 < 0x1000) return "a documentation address";
  return null;
}

function blockedV6(g) {
  const embedded = embeddedV4(g);
  if (embedded) {
    const inner = blockedV4(embedded.addr);
    if (inner) return `${embedded.form} address of ${inner}`;
    if (embedded.final) return null;
  }
  return blockedV6Range(g);
}

/**
 * Why a resolved address is not a public destination, or null when it is one. Anything that
 * is not a plain IPv4 or IPv6 address (a zone id, garbage from a resolver) is refused too.
 */
export function blockedAddress(address) {
  if (isIPv4(address)) return blockedV4(parseV4(address));
  if (isIPv6(address) && !address.includes("%")) {
    const groups = parseV6(address);
    return groups ? blockedV6(groups) : "an unparsable address";
  }
  return "not an IP address";
}
