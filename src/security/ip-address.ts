// IP literals for the destination URL guard (url-guard.ts): which IPv4 and IPv6 addresses are
// not public destinations, and why. IPv6 forms that carry an IPv4 address inside them (mapped,
// translated, NAT64, 6to4, ISATAP) are judged by that address, so no IPv6 spelling reaches a
// blocked IPv4 host.

type Cidr4 = [base: number, bits: number, what: string];

// Everything that is not a globally routable unicast address.
const BLOCKED_V4: Cidr4[] = [
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

export function v4(a: number, b: number, c: number, d: number): number {
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

function inCidr4(addr: number, base: number, bits: number): boolean {
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return (addr & mask) >>> 0 === (base & mask) >>> 0;
}

/** Four decimal octets (0 to 255 each) as an address, or null when one is not. */
export function octetsToV4(parts: string[]): number | null {
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p))) return null;
  const [a = 0, b = 0, c = 0, d = 0] = parts.map(Number);
  if (a > 255 || b > 255 || c > 255 || d > 255) return null;
  return v4(a, b, c, d);
}

/** A dotted-decimal IPv4 literal (the URL parser's canonical form), or null. */
export function parseV4(host: string): number | null {
  return octetsToV4(host.split("."));
}

/** Why the IPv4 address is not a public destination, or null when it is one. */
export function blockedV4(addr: number): string | null {
  for (const [base, bits, what] of BLOCKED_V4) if (inCidr4(addr, base, bits)) return what;
  return null;
}

/** The 8 groups of an IPv6 literal (without brackets), or null when it is not one. */
export function parseV6(text: string): number[] | null {
  let host = text;
  // An embedded dotted IPv4 tail (::ffff:1.2.3.4) is rewritten as its two hex groups; the URL
  // parser already does this, the guard does not rely on it.
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(host);
  if (dotted) {
    const addr = parseV4(dotted[2] ?? "");
    if (addr === null) return null;
    host = `${dotted[1]}${(addr >>> 16).toString(16)}:${(addr & 0xffff).toString(16)}`;
  }
  const halves = host.split("::");
  if (halves.length > 2) return null;
  const toGroups = (s: string) => (s === "" ? [] : s.split(":"));
  const head = toGroups(halves[0] ?? "");
  const rest = halves.length === 2 ? toGroups(halves[1] ?? "") : [];
  if ([...head, ...rest].some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return null;
  const explicit = head.length + rest.length;
  if (halves.length === 1 ? explicit !== 8 : explicit > 7) return null;
  const zeros = new Array<number>(8 - explicit).fill(0);
  return [...head.map((g) => Number.parseInt(g, 16)), ...zeros, ...rest.map((g) => Number.parseInt(g, 16))];
}

const v4At = (g: number[], from: number) => (((g[from] ?? 0) << 16) | (g[from + 1] ?? 0)) >>> 0;
const zeroUpTo = (g: number[], end: number) => g.slice(0, end).every((x) => x === 0);

/**
 * The IPv4 address an IPv6 address carries, with the form's name. `final` forms reach exactly
 * that IPv4 host (so a public one makes the address public); the others are routed by their
 * IPv6 prefix, which is judged as well.
 */
function embeddedV4(g: number[]): { addr: number; form: string; final: boolean } | null {
  const [g0, g1, g2, g3, g4, g5] = g;
  if (zeroUpTo(g, 5) && g5 === 0xffff) return { addr: v4At(g, 6), form: "an IPv4-mapped", final: true };
  if (zeroUpTo(g, 4) && g4 === 0xffff && g5 === 0) {
    return { addr: v4At(g, 6), form: "an IPv4-translated", final: true };
  }
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) {
    return { addr: v4At(g, 6), form: "a NAT64", final: true };
  }
  if (g0 === 0x2002) return { addr: v4At(g, 1), form: "a 6to4", final: false };
  // ISATAP interface identifier: 0000:5efe or 0200:5efe (the universal/local bit) then IPv4.
  if (((g4 ?? 0) & 0xfdff) === 0 && g5 === 0x5efe)
    return { addr: v4At(g, 6), form: "an ISATAP", final: false };
  return null;
}

/** Why an address outside the IPv4-carrying forms is not a public destination, or null. */
function blockedV6Range(g: number[]): string | null {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0] = g;
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

/** Why the IPv6 address is not a public destination, or null when it is one. */
export function blockedV6(g: number[]): string | null {
  const embedded = embeddedV4(g);
  if (embedded) {
    const inner = blockedV4(embedded.addr);
    if (inner) return `${embedded.form} address of ${inner}`;
    if (embedded.final) return null;
  }
  return blockedV6Range(g);
}
