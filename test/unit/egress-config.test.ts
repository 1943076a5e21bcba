import { describe, expect, it } from "vitest";
import { getConfig, parseEgressIps } from "../../src/config";

const env = (vars: Record<string, string>) => vars as unknown as Env;

describe("EGRESS_IPS", () => {
  it("publishes none when unset or empty", () => {
    expect(parseEgressIps(undefined)).toEqual({ regions: {}, updatedAt: null });
    expect(parseEgressIps(" ")).toEqual({ regions: {}, updatedAt: null });
    expect(parseEgressIps('{"regions":{}}')).toEqual({ regions: {}, updatedAt: null });
    expect(getConfig(env({})).egress).toEqual({ regions: {}, updatedAt: null });
  });

  it("parses addresses per region, in canonical form, with updatedAt as ISO 8601", () => {
    const value = JSON.stringify({
      updatedAt: "2026-12-01T10:00:00+01:00",
      regions: { eu: ["203.0.113.7"], "us-east": ["2001:DB8:0::7", "198.51.100.4"], ap: [] },
    });
    expect(parseEgressIps(value)).toEqual({
      regions: { eu: ["203.0.113.7"], "us-east": ["2001:db8::7", "198.51.100.4"], ap: [] },
      updatedAt: "2026-12-01T09:00:00.000Z",
    });
  });

  it("refuses a malformed value, naming EGRESS_IPS", () => {
    const bad = [
      "203.0.113.7",
      "[]",
      '{"regions":[]}',
      '{"regions":{"eu":"203.0.113.7"},"updatedAt":"2026-12-01"}',
      '{"regions":{"eu":["relay.example.com"]},"updatedAt":"2026-12-01"}',
      '{"regions":{"eu":["203.0.113"]},"updatedAt":"2026-12-01"}',
      '{"regions":{"eu":["203.0.113.256"]},"updatedAt":"2026-12-01"}',
      '{"regions":{"eu":["203.0.113.7/32"]},"updatedAt":"2026-12-01"}',
      '{"regions":{"eu":["2001:db8::g"]},"updatedAt":"2026-12-01"}',
      '{"regions":{"eu":[7]},"updatedAt":"2026-12-01"}',
      '{"regions":{"EU West":["203.0.113.7"]},"updatedAt":"2026-12-01"}',
      '{"regions":{"eu":["203.0.113.7"]}}',
      '{"regions":{"eu":["203.0.113.7"]},"updatedAt":"yesterday"}',
      '{"region":{"eu":["203.0.113.7"]},"updatedAt":"2026-12-01"}',
    ];
    for (const value of bad) expect(() => parseEgressIps(value), value).toThrow(/EGRESS_IPS/);
    expect(() => getConfig(env({ EGRESS_IPS: "{" }))).toThrow(/EGRESS_IPS must be JSON/);
  });
});
