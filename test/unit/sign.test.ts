import { Webhook as StandardWebhook } from "standardwebhooks";
import { Webhook as SvixWebhook } from "svix";
import { describe, expect, it } from "vitest";
import { signPayload, USER_AGENT, webhookHeaders } from "../../src/delivery/sign";

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
