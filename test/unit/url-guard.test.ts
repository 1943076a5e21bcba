import { describe, expect, it } from "vitest";
import { checkDestinationUrl } from "../../src/security/url-guard";

const strict = { allowPrivate: false };
const dev = { allowPrivate: true };

function reason(url: string, opts = strict): string {
  const result = checkDestinationUrl(url, opts);
  if (result.ok) throw new Error(`expected ${url} to be refused`);
  return result.reason;
}

describe("checkDestinationUrl", () => {
  it("accepts public https URLs and returns the parsed URL", () => {
    for (const url of [
      "https://example.com/hook",
      "https://api.example.co.uk:8443/a/b?c=d",
      "https://93.184.216.34/hook",
      "https://[2606:4700:4700::1111]/hook",
      "https://[::ffff:93.184.216.34]/hook",
      "https://[64:ff9b::808:808]/hook",
      "https://example.com./hook",
    ]) {
      const result = checkDestinationUrl(url, strict);
      expect(result.ok, url).toBe(true);
      if (result.ok) expect(result.url).toBeInstanceOf(URL);
    }
  });

  it("refuses strings that are not absolute URLs", () => {
    for (const url of ["", "not a url", "/relative/path", "example.com/hook", "https://"]) {
      expect(reason(url)).toMatch(/valid absolute URL/);
    }
  });

  it("refuses schemes other than http and https, even with allowPrivate", () => {
    for (const url of [
      "ftp://example.com/",
      "file:///etc/passwd",
      "javascript:alert(1)",
      "ws://example.com/",
    ]) {
      expect(reason(url)).toMatch(/scheme must be https/);
      expect(reason(url, dev)).toMatch(/scheme must be https/);
    }
  });

  it("refuses plain http unless allowPrivate", () => {
    expect(reason("http://example.com/hook")).toMatch(/must use https/);
    expect(checkDestinationUrl("http://example.com/hook", dev).ok).toBe(true);
  });

  it("refuses credentials in the URL, even with allowPrivate", () => {
    for (const url of [
      "https://user:pass@example.com/",
      "https://user@example.com/",
      "https://:pw@example.com/",
    ]) {
      expect(reason(url)).toMatch(/username or password/);
      expect(reason(url, dev)).toMatch(/username or password/);
    }
  });

  it("refuses local and internal hostnames", () => {
    for (const url of [
      "https://localhost/",
      "https://LOCALHOST:8443/",
      "https://localhost./",
      "https://api.localhost/",
      "https://printer.local/",
      "https://db.internal/",
      "https://metadata.google.internal/computeMetadata/v1/",
      "https://metadata/",
      "https://router.home.arpa/",
    ]) {
      expect(reason(url), url).toMatch(/local or internal name/);
    }
  });

  it("refuses single-label hostnames", () => {
    expect(reason("https://intranet/hook")).toMatch(/fully qualified/);
  });

  it("refuses private, loopback, link-local, CGNAT and reserved IPv4 literals", () => {
    const cases: [string, RegExp][] = [
      ["https://127.0.0.1/", /loopback/],
      ["https://127.255.255.254/", /loopback/],
      ["https://10.0.0.1/", /private/],
      ["https://172.16.0.1/", /private/],
      ["https://172.31.255.255/", /private/],
      ["https://192.168.1.1/", /private/],
      ["https://169.254.169.254/latest/meta-data/", /link-local or cloud metadata/],
      ["https://169.254.0.1/", /link-local/],
      ["https://100.64.0.1/", /carrier-grade NAT/],
      ["https://100.127.255.255/", /carrier-grade NAT/],
      ["https://0.0.0.0/", /this network/],
      ["https://0.1.2.3/", /this network/],
      ["https://255.255.255.255/", /broadcast/],
      ["https://224.0.0.1/", /multicast/],
      ["https://239.255.255.250/", /multicast/],
      ["https://240.0.0.1/", /reserved/],
      ["https://192.0.2.1/", /documentation/],
      ["https://198.18.0.1/", /benchmarking/],
    ];
    for (const [url, expected] of cases) expect(reason(url), url).toMatch(expected);
  });

  it("accepts the public neighbours of blocked ranges", () => {
    for (const url of [
      "https://172.15.255.255/",
      "https://172.32.0.1/",
      "https://100.63.255.255/",
      "https://100.128.0.1/",
      "https://169.253.255.255/",
      "https://11.0.0.1/",
      "https://223.255.255.255/",
    ]) {
      expect(checkDestinationUrl(url, strict).ok, url).toBe(true);
    }
  });

  it("relies on WHATWG parsing to normalise numeric IPv4 forms", () => {
    // Verified here rather than assumed: the runtime's URL parser must canonicalise these.
    const normalised: [string, string][] = [
      ["http://2130706433/", "127.0.0.1"],
      ["http://0x7f.0.0.1/", "127.0.0.1"],
      ["http://0177.0.0.1/", "127.0.0.1"],
      ["http://127.1/", "127.0.0.1"],
      ["http://0x7f000001/", "127.0.0.1"],
      ["http://3232235777/", "192.168.1.1"],
      ["http://0xa9.254.169.254/", "169.254.169.254"],
      ["http://0/", "0.0.0.0"],
    ];
    for (const [url, host] of normalised) {
      expect(new URL(url).hostname, url).toBe(host);
      expect(reason(url.replace("http:", "https:")), url).toMatch(/not a public destination/);
    }
  });

  it("refuses loopback, unspecified, unique-local, link-local and multicast IPv6 literals", () => {
    const cases: [string, RegExp][] = [
      ["https://[::1]/", /loopback/],
      ["https://[0:0:0:0:0:0:0:1]/", /loopback/],
      ["https://[::]/", /unspecified/],
      ["https://[fc00::1]/", /unique-local/],
      ["https://[fd12:3456:789a::1]/", /unique-local/],
      ["https://[fe80::1]/", /link-local/],
      ["https://[febf::1]/", /link-local/],
      ["https://[ff02::1]/", /multicast/],
      ["https://[ff05::1:3]/", /multicast/],
      ["https://[2001:db8::1]/", /documentation/],
      ["https://[fec0::1]/", /site-local/],
    ];
    for (const [url, expected] of cases) expect(reason(url), url).toMatch(expected);
  });

  it("refuses IPv4-mapped and IPv4-compatible IPv6 forms of blocked addresses", () => {
    expect(new URL("https://[::ffff:127.0.0.1]/").hostname).toBe("[::ffff:7f00:1]");
    for (const url of [
      "https://[::ffff:127.0.0.1]/",
      "https://[::ffff:7f00:1]/",
      "https://[0:0:0:0:0:ffff:7f00:1]/",
      "https://[::ffff:10.0.0.1]/",
      "https://[::ffff:a9fe:a9fe]/",
      "https://[::ffff:192.168.0.1]/",
    ]) {
      expect(reason(url), url).toMatch(/IPv4-mapped address of/);
    }
    expect(reason("https://[::127.0.0.1]/")).toMatch(/IPv4-compatible/);
  });

  it("refuses NAT64 and 6to4 addresses that embed a blocked IPv4 address", () => {
    expect(reason("https://[64:ff9b::127.0.0.1]/")).toMatch(/NAT64 address of a loopback/);
    expect(reason("https://[64:ff9b::a9fe:a9fe]/")).toMatch(/NAT64 address of a link-local/);
    expect(reason("https://[64:ff9b::c0a8:101]/")).toMatch(/NAT64 address of a private/);
    expect(reason("https://[64:ff9b:1::1]/")).toMatch(/local-use NAT64/);
    expect(reason("https://[2002:7f00:1::]/")).toMatch(/6to4 address of a loopback/);
    expect(checkDestinationUrl("https://[2002:5db8:d822::1]/", strict).ok).toBe(true);
  });

  it("lets allowPrivate through private addresses and local names", () => {
    for (const url of [
      "http://localhost:8787/hook",
      "http://127.0.0.1:3000/",
      "http://[::1]:3000/",
      "http://192.168.1.10/",
      "http://receiver.internal/",
      "http://receiver/",
    ]) {
      expect(checkDestinationUrl(url, dev).ok, url).toBe(true);
    }
  });
});
