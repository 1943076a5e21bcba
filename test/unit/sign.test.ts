import { Webhook as StandardWebhook } from "standardwebhooks";
import { Webhook as SvixWebhook } from "svix";
import { describe, expect, it } from "vitest";
import { signPayload, USER_AGENT, webhookHeaders } from "../../src/delivery/sign";
import { canonicalSecretKey, generateSecretKey, publicKeyFor } from "../../src/security/ed25519";
import { nodeVerifiesV1a, subtleVerifiesV1a } from "../v1a-verify";

const CURRENT = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const PREVIOUS = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
const body = JSON.stringify({ email: "test@example.com", n: 1 });

async function headersFor(secrets: string[], timestampSeconds = Math.floor(Date.now() / 1000)) {
  const h = await webhookHeaders({
    secrets,
    msgId: "msg_abc",
    timestampSeconds,
    body,
    custom: { "X-Team": "billing" },
  });
  return Object.fromEntries(h);
}

describe("webhook signatures", () => {
  it("verify with the standardwebhooks library", async () => {
    const headers = await headersFor([CURRENT]);
    expect(new StandardWebhook(CURRENT).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it("verify with the svix library (svix-* headers)", async () => {
    const headers = await headersFor([CURRENT]);
    const svixOnly = {
      "svix-id": headers["svix-id"] as string,
      "svix-timestamp": headers["svix-timestamp"] as string,
      "svix-signature": headers["svix-signature"] as string,
    };
    // svix 2.x returns nothing and throws when the signature does not verify.
    expect(() => new SvixWebhook(CURRENT).verify(body, svixOnly)).not.toThrow();
    expect(() => new SvixWebhook(PREVIOUS).verify(body, svixOnly)).toThrow();
  });

  it("carry one signature per active secret during a rotation, each verifying alone", async () => {
    const headers = await headersFor([CURRENT, PREVIOUS]);
    expect((headers["webhook-signature"] as string).split(" ")).toHaveLength(2);
    expect(new StandardWebhook(CURRENT).verify(body, headers)).toEqual(JSON.parse(body));
    expect(new StandardWebhook(PREVIOUS).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new SvixWebhook(PREVIOUS).verify(body, headers)).not.toThrow();
  });

  it("do not verify with another secret, another body or an old timestamp", async () => {
    const headers = await headersFor([CURRENT]);
    const other = "whsec_dGhpcy1pcy1hbm90aGVyLXNlY3JldC0xMjM0NTY=";
    expect(() => new StandardWebhook(other).verify(body, headers)).toThrow();
    expect(() => new StandardWebhook(CURRENT).verify(`${body} `, headers)).toThrow();
    const old = await headersFor([CURRENT], Math.floor(Date.now() / 1000) - 3600);
    expect(() => new StandardWebhook(CURRENT).verify(body, old)).toThrow();
  });

  it("match the Standard Webhooks reference vector", async () => {
    // From the Standard Webhooks specification's test suite.
    const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const sig = await signPayload(
      [secret],
      "msg_p5jXN8AQM9LWM0D4loKWxJek",
      1614265330,
      '{"test": 2432232314}',
    );
    expect(sig).toBe("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  });

  it("send identity headers that custom headers cannot override", async () => {
    const h = await webhookHeaders({
      secrets: [CURRENT],
      msgId: "msg_x",
      timestampSeconds: 1,
      body,
      custom: { "webhook-id": "forged", "Content-Type": "text/plain", "X-Ok": "1" },
    });
    expect(h.get("webhook-id")).toBe("msg_x");
    expect(h.get("svix-id")).toBe("msg_x");
    expect(h.get("content-type")).toBe("application/json");
    expect(h.get("x-ok")).toBe("1");
    expect(h.get("user-agent")).toBe(USER_AGENT);
  });
});

// v1a: the receiver holds only the whpk_ public key and verifies the Ed25519 signature itself.
const b64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const nodeVerifies = (publicKey: string, header: string, id: string, ts: number) =>
  nodeVerifiesV1a(publicKey, header, id, ts, body);
const subtleVerifies = (publicKey: string, header: string, id: string, ts: number) =>
  subtleVerifiesV1a(publicKey, header, id, ts, body);

describe("v1a (Ed25519) signatures", () => {
  const ts = 1_700_000_000;

  it("verify against the whpk_ public key with crypto.subtle and node:crypto", async () => {
    const secretKey = await generateSecretKey();
    const publicKey = publicKeyFor(secretKey);
    expect(secretKey).toMatch(/^whsk_[A-Za-z0-9+/]{86}==$/);
    expect(publicKey).toMatch(/^whpk_[A-Za-z0-9+/]{43}=$/);
    const header = await signPayload([secretKey], "msg_v1a", ts, body);
    expect(header).toMatch(/^v1a,[A-Za-z0-9+/]{86}==$/);
    expect(await subtleVerifies(publicKey, header, "msg_v1a", ts)).toBe(true);
    expect(nodeVerifies(publicKey, header, "msg_v1a", ts)).toBe(true);
  });

  it("do not verify with another key, id or timestamp", async () => {
    const secretKey = await generateSecretKey();
    const header = await signPayload([secretKey], "msg_v1a", ts, body);
    const other = publicKeyFor(await generateSecretKey());
    expect(nodeVerifies(other, header, "msg_v1a", ts)).toBe(false);
    expect(nodeVerifies(publicKeyFor(secretKey), header, "msg_other", ts)).toBe(false);
    expect(await subtleVerifies(publicKeyFor(secretKey), header, "msg_v1a", ts + 1)).toBe(false);
  });

  it("sign next to v1 across a rotation, each key in its own scheme", async () => {
    const secretKey = await generateSecretKey();
    const headers = await headersFor([secretKey, CURRENT], ts);
    const signature = headers["webhook-signature"] as string;
    expect(signature.split(" ").map((s) => s.split(",")[0])).toEqual(["v1a", "v1"]);
    expect(nodeVerifies(publicKeyFor(secretKey), signature, "msg_abc", ts)).toBe(true);
    // The v1 libraries skip the v1a signature and verify the v1 one next to it.
    const now = await headersFor([secretKey, CURRENT]);
    expect(new StandardWebhook(CURRENT).verify(body, now)).toEqual(JSON.parse(body));
    expect(() => new SvixWebhook(CURRENT).verify(body, now)).not.toThrow();
  });

  it("take a key as its 32-byte seed or 64-byte secret key, and refuse a mismatched pair", async () => {
    const secretKey = await generateSecretKey();
    const bytes = b64(secretKey.slice(5));
    expect(await canonicalSecretKey(bytes)).toBe(secretKey);
    expect(await canonicalSecretKey(bytes.slice(0, 32))).toBe(secretKey);
    const mismatched = Uint8Array.from(bytes);
    mismatched[40] = (mismatched[40] ?? 0) ^ 1;
    expect(await canonicalSecretKey(mismatched)).toBeNull();
    expect(await canonicalSecretKey(bytes.slice(0, 48))).toBeNull();
  });
});
