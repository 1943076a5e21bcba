// Destination URL guard (DESIGN.md "Security"): run when an endpoint is created or changed
// and again before every send. It works on the WHATWG-parsed URL, never on the raw string:
// the parser canonicalises numeric host forms (2130706433, 0x7f.0.0.1, 0177.0.0.1, 127.1)
// to dotted decimal and IPv6 to its compressed hex form, so one check per family covers
// every spelling of an address.

export type UrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

// Names that resolve inside a network or a cloud host rather than on the public internet.
const LOCAL_SUFFIXES = [".localhost", ".local", ".internal", ".home.arpa"];
const LOCAL_NAMES = new Set(["localhost", "metadata", "metadata.goog", "instance-data", "home.arpa"]);

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

function v4(a: number, b: number, c: number, d: number): number {
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

function inCidr4(addr: number, base: number, bits: number): boolean {
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return (addr & mask) >>> 0 === (base & mask) >>> 0;
}

function parseV4(host: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return null;
  const [a = 0, b = 0, c = 0, d = 0] = parts;
  return v4(a, b, c, d);
}

/** Why the IPv4 address is not a public destination, or null when it is one. */
function blockedV4(addr: number): string | null {
  for (const [base, bits, what] of BLOCKED_V4) if (inCidr4(addr, base, bits)) return what;
  return null;
}

/** The 8 groups of an IPv6 literal (without brackets), or null when it is not one. */
function parseV6(text: string): number[] | null {
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

const embeddedV4 = (g: number[], from: number) => (((g[from] ?? 0) << 16) | (g[from + 1] ?? 0)) >>> 0;

/** Why the IPv6 address is not a public destination, or null when it is one. */
function blockedV6(g: number[]): string | null {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0] = g;
  const first96Zero = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0;
  if (first96Zero) return "a loopback, unspecified or IPv4-compatible address";
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0xffff) {
    const inner = blockedV4(embeddedV4(g, 6));
    return inner ? `an IPv4-mapped address of ${inner}` : null;
  }
  if (g0 === 0x64 && g1 === 0xff9b) {
    if (g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) {
      const inner = blockedV4(embeddedV4(g, 6));
      return inner ? `a NAT64 address of ${inner}` : null;
    }
    if (g2 === 1) return "a local-use NAT64 address";
  }
  if (g0 === 0x2002) {
    const inner = blockedV4(embeddedV4(g, 1));
    return inner ? `a 6to4 address of ${inner}` : null;
  }
  if (g0 === 0x2001 && g1 === 0) return "a Teredo address";
  if (g0 === 0x2001 && g1 === 0xdb8) return "a documentation address";
  if (g0 === 0x100 && g1 === 0 && g2 === 0 && g3 === 0) return "a discard-only address";
  if ((g0 & 0xfe00) === 0xfc00) return "a unique-local address";
  if ((g0 & 0xffc0) === 0xfe80) return "a link-local address";
  if ((g0 & 0xffc0) === 0xfec0) return "a site-local address";
  if ((g0 & 0xff00) === 0xff00) return "a multicast address";
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
  // A trailing dot names the same host ("localhost." is localhost).
  const name = hostname.replace(/\.$/, "").toLowerCase();
  if (LOCAL_NAMES.has(name) || LOCAL_SUFFIXES.some((s) => name.endsWith(s))) {
    return `the host "${hostname}" is a local or internal name`;
  }
  if (!name.includes(".")) return `the host "${hostname}" is not a fully qualified domain name`;
  return null;
}

/**
 * Checks that `url` is a destination Edgehook may deliver to. `allowPrivate` (local
 * development) lifts the private-address, local-name and plain-http checks only: bad
 * schemes and credentials in the URL are refused always.
 */
export function checkDestinationUrl(url: string, opts: { allowPrivate: boolean }): UrlCheck {
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
  if (opts.allowPrivate) return { ok: true, url: parsed };
  if (parsed.protocol !== "https:") return { ok: false, reason: "URL must use https" };
  const blocked = blockedHost(parsed.hostname);
  if (blocked) return { ok: false, reason: `URL is not a public destination: ${blocked}` };
  return { ok: true, url: parsed };
}
