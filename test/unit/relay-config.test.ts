import { describe, expect, it } from "vitest";
import { parseRelayConfig } from "../../src/config";

// EGRESS_RELAY_MODE, EGRESS_RELAYS and EGRESS_RELAY_SECRET: a relay mode that cannot relay
// fails loudly instead of sending from Cloudflare's shared ranges.

const SECRET = "test-relay-secret-0123456789abcdefghij";
const parse = (vars: Record<string, string>, allowHttp = false) =>
  parseRelayConfig(vars as unknown as Env, allowHttp);

describe("parseRelayConfig", () => {
  it("is off by default", () => {
    expect(parse({})).toEqual({ mode: "off", relays: [], secret: null });
  });

  it("reads the relays in order, without trailing slashes", () => {
    const config = parse({
      EGRESS_RELAY_MODE: "opt-in",
      EGRESS_RELAYS: "https://relay-eu.example.com/, https://relay-us.example.com:8443",
      EGRESS_RELAY_SECRET: SECRET,
    });
    expect(config).toEqual({
      mode: "opt-in",
      relays: ["https://relay-eu.example.com", "https://relay-us.example.com:8443"],
      secret: SECRET,
    });
  });

  it("refuses an unknown mode, and a mode without relays or secret", () => {
    expect(() => parse({ EGRESS_RELAY_MODE: "some" })).toThrow(/EGRESS_RELAY_MODE/);
    expect(() => parse({ EGRESS_RELAY_MODE: "all", EGRESS_RELAY_SECRET: SECRET })).toThrow(/EGRESS_RELAYS/);
    expect(() => parse({ EGRESS_RELAY_MODE: "all", EGRESS_RELAYS: "https://r.example.com" })).toThrow(
      /EGRESS_RELAY_SECRET/,
    );
  });

  it("refuses plain http (unless private destinations are allowed) and URLs with credentials or queries", () => {
    const base = { EGRESS_RELAY_MODE: "all", EGRESS_RELAY_SECRET: SECRET };
    expect(() => parse({ ...base, EGRESS_RELAYS: "http://relay.example.com" })).toThrow(/https base URLs/);
    expect(parse({ ...base, EGRESS_RELAYS: "http://127.0.0.1:8080" }, true).relays).toEqual([
      "http://127.0.0.1:8080",
    ]);
    expect(() => parse({ ...base, EGRESS_RELAYS: "https://u:p@relay.example.com" })).toThrow(
      /https base URLs/,
    );
    expect(() => parse({ ...base, EGRESS_RELAYS: "https://relay.example.com/?x=1" })).toThrow(
      /https base URLs/,
    );
    expect(() => parse({ ...base, EGRESS_RELAYS: "relay.example.com" })).toThrow(/https base URLs/);
  });
});
