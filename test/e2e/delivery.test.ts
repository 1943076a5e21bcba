import { Webhook } from "standardwebhooks";
import { Svix } from "svix";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Gateway, type Receiver, type Responder, startGateway, startReceiver } from "./harness";

// The whole delivery path against the worker running under wrangler dev (local D1, Queues and
// Durable Objects) and real HTTP receivers, driven by the official svix client.
const receivers: Receiver[] = [];

async function receiver(respond?: Responder): Promise<Receiver> {
  const r = await startReceiver(respond);
  receivers.push(r);
  return r;
}

async function setUp(svix: Svix, url: string) {
  const app = await svix.application.create({ name: "e2e" });
  const endpoint = await svix.endpoint.create(app.id, { url });
  const { key } = await svix.endpoint.getSecret(app.id, endpoint.id);
  return { app, endpoint, secret: key };
}

const ids = (r: Receiver) => r.requests.map((q) => String(q.headers["webhook-id"]));

afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
});

describe("delivery end to end (RETRY_SCHEDULE 1,1,1; timeout 2 s)", () => {
  let gateway: Gateway;
  let svix: Svix;

  beforeAll(async () => {
    gateway = await startGateway();
    svix = new Svix(gateway.token, { serverUrl: gateway.url });
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it("delivers 100 messages, each signed so that standardwebhooks verifies it", async () => {
    const r = await receiver();
    const { app, secret } = await setUp(svix, r.url);
    const sent = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        svix.message.create(app.id, { eventType: "order.paid", payload: { i } }),
      ),
    );
    await r.waitFor((reqs) => new Set(ids({ requests: reqs } as Receiver)).size >= 100, 60_000, gateway);
    expect(new Set(ids(r))).toEqual(new Set(sent.map((m) => m.id)));
    const wh = new Webhook(secret);
    for (const req of r.requests) {
      const payload = wh.verify(req.body, req.headers as Record<string, string>) as { i: number };
      expect(typeof payload.i).toBe("number");
      expect(req.headers["user-agent"]).toMatch(/^Edgehook\//);
    }
  });

  it("delivers on the 3rd attempt to a receiver that fails twice", async () => {
    const r = await receiver((_req, index) => ({ status: index < 2 ? 500 : 200 }));
    const { app, endpoint } = await setUp(svix, r.url);
    const msg = await svix.message.create(app.id, { eventType: "order.paid", payload: { n: 1 } });
    await r.waitFor((reqs) => reqs.length >= 3, 30_000, gateway);
    expect(ids(r)).toEqual([msg.id, msg.id, msg.id]);
    await expect
      .poll(async () => (await svix.messageAttempt.listByMsg(app.id, msg.id)).data.map((a) => a.status), {
        timeout: 10_000,
      })
      .toEqual([0, 2, 2]);
    const dest = await svix.messageAttempt.listAttemptedDestinations(app.id, msg.id);
    expect(dest.data[0]).toMatchObject({ id: endpoint.id, status: 0 });
  });

  it("disables the endpoint when the receiver answers 410 Gone", async () => {
    const r = await receiver(() => ({ status: 410 }));
    const { app, endpoint } = await setUp(svix, r.url);
    await svix.message.create(app.id, { eventType: "order.paid", payload: {} });
    await r.waitFor((reqs) => reqs.length >= 1, 30_000, gateway);
    await expect
      .poll(async () => (await svix.endpoint.get(app.id, endpoint.id)).disabled, { timeout: 10_000 })
      .toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(r.requests).toHaveLength(1);
  });

  it("retries a delivery that timed out", async () => {
    const r = await receiver((_req, index) => ({ status: 200, delayMs: index === 0 ? 3000 : 0 }));
    const { app } = await setUp(svix, r.url);
    const msg = await svix.message.create(app.id, { eventType: "order.paid", payload: {} });
    await r.waitFor((reqs) => reqs.length >= 2, 20_000, gateway);
    expect(ids(r).slice(0, 2)).toEqual([msg.id, msg.id]);
    await expect
      .poll(async () => (await svix.messageAttempt.listByMsg(app.id, msg.id)).data.map((a) => a.status), {
        timeout: 10_000,
      })
      .toEqual([0, 2]);
  });

  it("delivers on a manual resend after the retry schedule is exhausted", async () => {
    // Schedule 1,1,1: 4 attempts, all failing; the 5th request (the resend) succeeds.
    const r = await receiver((_req, index) => ({ status: index < 4 ? 500 : 200 }));
    const { app, endpoint } = await setUp(svix, r.url);
    const msg = await svix.message.create(app.id, { eventType: "order.paid", payload: {} });
    await r.waitFor((reqs) => reqs.length >= 4, 20_000, gateway);
    await expect
      .poll(async () => (await svix.messageAttempt.listByMsg(app.id, msg.id)).data[0]?.status, {
        timeout: 10_000,
      })
      .toBe(2);
    expect(r.requests).toHaveLength(4);
    await svix.messageAttempt.resend(app.id, msg.id, endpoint.id);
    await r.waitFor((reqs) => reqs.length >= 5, 30_000, gateway);
    await expect
      .poll(async () => (await svix.messageAttempt.listByMsg(app.id, msg.id)).data[0], { timeout: 10_000 })
      .toMatchObject({ status: 0, triggerType: 1 });
  });
});

describe("delivery end to end with a flaky receiver (RETRY_SCHEDULE 1,1,1,1,1,1,1,1)", () => {
  let gateway: Gateway;
  let svix: Svix;

  beforeAll(async () => {
    gateway = await startGateway({ RETRY_SCHEDULE: "1,1,1,1,1,1,1,1" });
    svix = new Svix(gateway.token, { serverUrl: gateway.url });
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it("delivers every accepted message to a receiver failing 30 % of requests at random", async () => {
    const delivered = new Set<string>();
    const r = await receiver((req) => {
      if (Math.random() < 0.3) return { status: 503 };
      delivered.add(String(req.headers["webhook-id"]));
      return { status: 200 };
    });
    const { app } = await setUp(svix, r.url);
    const sent = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        svix.message.create(app.id, { eventType: "order.paid", payload: { i } }),
      ),
    );
    await r.waitFor(() => sent.every((m) => delivered.has(m.id)), 60_000, gateway);
    expect(r.requests.length).toBeGreaterThan(60);
  });
});
