import { describe, expect, it } from "vitest";
import { checkDestinationUrl } from "../../src/security/url-guard";

const strict = { allowPrivateDestinations: false, allowedDestinationPorts: [] };
const dev = { allowPrivateDestinations: true, allowedDestinationPorts: [] };

function reason(url: string, opts = strict): string {
  const result = checkDestinationUrl(url, opts);
  if (result.ok) throw new Error(`expected ${url} to be refused`);
  return result.reason;
}

describe("checkDestinationUrl", () => {
  it("accepts public https URLs and returns the parsed URL", () => {
    for (const url of [
      "https://example.com/hook",
      "https://api.example.co.uk/a/b?c=d",
      "https://example.com:443/",
      "https://example.com:80/",
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

describe("checkDestinationUrl: names and forms that slipped through (issue 10)", () => {
  it("refuses each reported URL", () => {
    for (const url of [
      "https://localhost../",
      "https://metadata.google.internal../",
      "https://localhost.localdomain/",
      "https://kubernetes.default.svc/",
      "https://127.0.0.1.nip.io/",
      "https://[::ffff:0:127.0.0.1]/",
      "https://example.com:22/",
    ]) {
      expect(checkDestinationUrl(url, strict).ok, url).toBe(false);
    }
  });

  it("ignores any number of trailing dots and refuses empty labels", () => {
    for (const url of ["https://localhost.../", "https://db.internal..../", "https://127.0.0.1../"]) {
      expect(reason(url), url).toMatch(/not a public destination/);
    }
    expect(checkDestinationUrl("https://example.com../", strict).ok).toBe(true);
    expect(reason("https://a..example.com/")).toMatch(/empty label/);
  });

  it("refuses localhost in every spelling and as any label", () => {
    for (const url of [
      "https://localhost.localdomain/",
      "https://LocalHost.LocalDomain./",
      "https://localhost6/",
      "https://localhost6.localdomain6/",
      "https://ip6-localhost/",
      "https://ip6-loopback/",
      "https://a.b.localhost../",
      "https://localhost.example.com/",
      "https://ｌｏｃａｌｈｏｓｔ/",
      "https://xn--localhost-/",
    ]) {
      expect(checkDestinationUrl(url, strict).ok, url).toBe(false);
    }
  });

  it("refuses internal, cluster and special-use suffixes", () => {
    for (const url of [
      "https://router.localdomain/",
      "https://printer.local/",
      "https://db.internal/",
      "https://nas.lan/",
      "https://nas.home/",
      "https://app.intranet/",
      "https://app.corp/",
      "https://app.private/",
      "https://router.home.arpa/",
      "https://1.0.0.127.in-addr.arpa/",
      "https://kubernetes.default.svc/",
      "https://api.default.svc.cluster.local/",
      "https://api.cluster.local/",
      "https://web.test/",
      "https://web.example/",
      "https://web.invalid/",
      "https://hidden.onion/",
      "https://x.alt/",
      "https://metadata.goog/",
      "https://instance-data.ec2.internal/",
    ]) {
      expect(reason(url), url).toMatch(/local or internal name|special-use/);
    }
    for (const url of ["https://svc.example.com/", "https://local.example.com/", "https://internal.io/"]) {
      expect(checkDestinationUrl(url, strict).ok, url).toBe(true);
    }
  });

  it("refuses well-known wildcard-DNS services outright", () => {
    for (const url of [
      "https://127.0.0.1.nip.io/",
      "https://app.10.0.0.1.nip.io/",
      "https://8.8.8.8.nip.io/",
      "https://nip.io/",
      "https://7f000001.nip.io/",
      "https://127-0-0-1.sslip.io/",
      "https://--1.sslip.io/",
      "https://10.0.0.1.xip.io/",
      "https://anything.localtest.me/",
      "https://lvh.me/",
      "https://a.lvh.me/",
      "https://10.0.0.1.traefik.me/",
      "https://a.localhost.direct/",
      "https://vcap.me/",
      "https://make-127-0-0-1-rr.1u.ms/",
      "https://7f000001.c0a80001.rbndr.us/",
    ]) {
      expect(reason(url), url).toMatch(/wildcard-DNS/);
    }
  });

  it("refuses any name that embeds a blocked IPv4 address, dotted or dashed", () => {
    for (const url of [
      "https://127.0.0.1.example.com/",
      "https://x.169.254.169.254.example.net/",
      "https://ip-10-0-0-1.example.com/",
      "https://192-168-1-1.example.org/",
    ]) {
      expect(reason(url), url).toMatch(/embeds/);
    }
    for (const url of [
      "https://8.8.8.8.example.com/",
      "https://ec2-54-1-2-3.example.com/",
      "https://v1-2-3.example.com/",
    ]) {
      expect(checkDestinationUrl(url, strict).ok, url).toBe(true);
    }
  });

  it("refuses every IPv6 form that embeds a blocked IPv4 address", () => {
    const cases: [string, RegExp][] = [
      ["https://[::ffff:0:127.0.0.1]/", /IPv4-translated address of a loopback/],
      ["https://[::ffff:0:a00:1]/", /IPv4-translated address of a private/],
      ["https://[::ffff:127.0.0.1]/", /IPv4-mapped address of a loopback/],
      ["https://[::127.0.0.1]/", /IPv4-compatible/],
      ["https://[64:ff9b::10.0.0.1]/", /NAT64 address of a private/],
      ["https://[64:ff9b:1::a00:1]/", /local-use NAT64/],
      ["https://[2002:a9fe:a9fe::1]/", /6to4 address of a link-local/],
      ["https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", /Teredo/],
      ["https://[2600:1f18::5efe:127.0.0.1]/", /ISATAP address of a loopback/],
      ["https://[2600:1f18::200:5efe:a00:1]/", /ISATAP address of a private/],
      ["https://[fe80::5efe:8.8.8.8]/", /link-local/],
    ];
    for (const [url, expected] of cases) expect(reason(url), url).toMatch(expected);
    for (const url of [
      "https://[::ffff:0:808:808]/",
      "https://[64:ff9b::8.8.8.8]/",
      "https://[2002:808:808::1]/",
      "https://[2600:1f18::5efe:8.8.8.8]/",
    ]) {
      expect(checkDestinationUrl(url, strict).ok, url).toBe(true);
    }
  });

  it("refuses IPv6 addresses outside global unicast and special-purpose ranges inside it", () => {
    const cases: [string, RegExp][] = [
      ["https://[100::1]/", /discard-only/],
      ["https://[200::1]/", /reserved/],
      ["https://[4000::1]/", /reserved/],
      ["https://[2001:2::1]/", /special-purpose/],
      ["https://[2001:10::1]/", /special-purpose/],
      ["https://[3fff::1]/", /documentation/],
      ["https://[5f00::1]/", /reserved/],
    ];
    for (const [url, expected] of cases) expect(reason(url), url).toMatch(expected);
  });
});

describe("checkDestinationUrl: destination ports", () => {
  it("accepts 80 and 443 and refuses any other port", () => {
    expect(checkDestinationUrl("https://example.com:80/", strict).ok).toBe(true);
    expect(checkDestinationUrl("https://example.com:443/", strict).ok).toBe(true);
    for (const port of [22, 25, 6379, 8080, 8443, 65535]) {
      expect(reason(`https://example.com:${port}/`), String(port)).toMatch(
        new RegExp(`port ${port} is not allowed`),
      );
    }
  });

  it("accepts the configured allowance", () => {
    const withAllowance = { ...strict, allowedDestinationPorts: [8443, 9000] };
    expect(checkDestinationUrl("https://example.com:8443/", withAllowance).ok).toBe(true);
    expect(checkDestinationUrl("https://example.com:9000/", withAllowance).ok).toBe(true);
    expect(checkDestinationUrl("https://example.com:9001/", withAllowance).ok).toBe(false);
  });

  it("lets allowPrivateDestinations lift the port rule (receivers on random local ports)", () => {
    expect(checkDestinationUrl("http://127.0.0.1:41234/hook", dev).ok).toBe(true);
    expect(checkDestinationUrl("https://example.com:22/", dev).ok).toBe(true);
  });
});
