import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkDestinationUrl } from "../../src/security/url-guard";

// Every spelling of a blocked IPv4 address is refused: the numeric forms the URL parser
// canonicalises, the IPv6 forms that embed IPv4, and names that spell the address.
const strict = { allowPrivateDestinations: false, allowedDestinationPorts: [] };

// A sample of the blocked ranges (base octets, prefix length), written out independently of
// the guard's table so a range dropped there fails here.
const BLOCKED: [number[], number][] = [
  [[0, 0, 0, 0], 8],
  [[10, 0, 0, 0], 8],
  [[100, 64, 0, 0], 10],
  [[127, 0, 0, 0], 8],
  [[169, 254, 0, 0], 16],
  [[172, 16, 0, 0], 12],
  [[192, 168, 0, 0], 16],
  [[198, 18, 0, 0], 15],
  [[224, 0, 0, 0], 4],
  [[240, 0, 0, 0], 4],
];

const blockedAddress = fc
  .tuple(fc.constantFrom(...BLOCKED), fc.integer({ min: 0, max: 0xffffffff }))
  .map(([[octets, bits], noise]) => {
    const [a = 0, b = 0, c = 0, d = 0] = octets;
    const base = ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
    const mask = (0xffffffff << (32 - bits)) >>> 0;
    return ((base & mask) | (noise & ~mask)) >>> 0;
  });

const octets = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const hex = (n: number) => n.toString(16);
const hi = (n: number) => hex(n >>> 16);
const lo = (n: number) => hex(n & 0xffff);

const SPELLINGS: [string, (n: number) => string][] = [
  ["dotted", (n) => octets(n).join(".")],
  ["dotted with trailing dots", (n) => `${octets(n).join(".")}..`],
  ["decimal", (n) => String(n)],
  ["hex", (n) => `0x${hex(n)}`],
  [
    "dotted hex",
    (n) =>
      octets(n)
        .map((o) => `0x${hex(o)}`)
        .join("."),
  ],
  [
    "dotted octal",
    (n) =>
      octets(n)
        .map((o) => `0${o.toString(8)}`)
        .join("."),
  ],
  ["a.b.c16", (n) => `${n >>> 24}.${(n >>> 16) & 255}.${n & 0xffff}`],
  ["a.b24", (n) => `${n >>> 24}.${n & 0xffffff}`],
  ["short with trailing dots", (n) => `${n >>> 24}.${n & 0xffffff}...`],
  ["IPv4-mapped", (n) => `[::ffff:${octets(n).join(".")}]`],
  ["IPv4-mapped hex", (n) => `[0:0:0:0:0:ffff:${hi(n)}:${lo(n)}]`],
  ["IPv4-translated", (n) => `[::ffff:0:${octets(n).join(".")}]`],
  ["IPv4-compatible", (n) => `[::${octets(n).join(".")}]`],
  ["NAT64", (n) => `[64:ff9b::${octets(n).join(".")}]`],
  ["6to4", (n) => `[2002:${hi(n)}:${lo(n)}::1]`],
  ["ISATAP", (n) => `[2600:1f18::5efe:${octets(n).join(".")}]`],
  ["ISATAP universal", (n) => `[2a00:1450::200:5efe:${hi(n)}:${lo(n)}]`],
  ["nip.io", (n) => `${octets(n).join(".")}.nip.io`],
  ["sslip.io dashed", (n) => `${octets(n).join("-")}.sslip.io`],
  ["dotted in a name", (n) => `${octets(n).join(".")}.example.com`],
  ["dashed in a name", (n) => `ip-${octets(n).join("-")}.example.com`],
];

describe("checkDestinationUrl (property)", () => {
  it("refuses every spelling of a blocked IPv4 address", () => {
    fc.assert(
      fc.property(blockedAddress, fc.constantFrom(...SPELLINGS), (addr, [form, spell]) => {
        const url = `https://${spell(addr)}/hook`;
        const result = checkDestinationUrl(url, strict);
        expect(result.ok, `${form}: ${url}`).toBe(false);
      }),
      { seed: 10, numRuns: 2000 },
    );
  });

  it("refuses every port outside 80, 443 and the allowance", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 65535 }), (port) => {
        const ok = checkDestinationUrl(`https://example.com:${port}/`, strict).ok;
        expect(ok, String(port)).toBe(port === 80 || port === 443);
      }),
      { seed: 10, numRuns: 500 },
    );
  });
});
