import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Gateway, type ReceivedRequest, type Receiver, startGateway, startReceiver } from "./harness";

const OPS_SECRET = "whsec_ZTJlLW9wZXJhdGlvbmFsLXdlYmhvb2stc2VjcmV0";

interface OpsEvent {
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

// Endpoint health and operational webhooks through the real pipeline: a failing endpoint is
// disabled after a short window, a 410 disables at once, and the operator's receiver gets
// signed endpoint.* events it can verify with the standardwebhooks library.
describe("endpoint health and operational webhooks", () => {
  let gateway: Gateway;
  let ops: Receiver;

  beforeAll(async () => {
    ops = await startReceiver();
    gateway = await startGateway({
      OPERATIONAL_WEBHOOK_URL: `${ops.url}/ops`,
      OPERATIONAL_WEBHOOK_SECRET: OPS_SECRET,
      ENDPOINT_FAILURE_DISABLE_AFTER_SECONDS: "2",
      RETRY_SCHEDULE: "1,1,1,1,1,1,1,1",
    });
  });
  afterAll(async () => {
    await Promise.all([gateway?.stop(), ops?.close()]);
  });

  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await gateway.api(method, path, body);
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}\n${gateway.log()}`);
    return (await res.json()) as T;
  }

  async function waitUntilDisabled(appId: string, endpointId: string): Promise<void> {
    const deadline = Date.now() + 45_000;
    for (;;) {
      const ep = await call<{ disabled: boolean }>("GET", `/api/v1/app/${appId}/endpoint/${endpointId}`);
      if (ep.disabled) return;
      if (Date.now() > deadline) throw new Error(`endpoint ${endpointId} not disabled\n${gateway.log()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** The verified operational events received so far (throws on a bad signature). */
  function verifiedOpsEvents(): OpsEvent[] {
    const wh = new Webhook(OPS_SECRET);
    return ops.requests.map(
      (r: ReceivedRequest) => wh.verify(r.body, r.headers as Record<string, string>) as OpsEvent,
    );
  }

  async function waitForOpsEvent(type: string, endpointId: string): Promise<OpsEvent> {
    await ops.waitFor(() =>
      verifiedOpsEvents().some((e) => e.type === type && e.data.endpointId === endpointId),
    );
    const found = verifiedOpsEvents().find((e) => e.type === type && e.data.endpointId === endpointId);
    if (!found) throw new Error(`no ${type} for ${endpointId}`);
    return found;
  }

  it("sends a signed endpoint.created event to the operational webhook URL", async () => {
    const app = await call<{ id: string }>("POST", "/api/v1/app", { name: "Ops", uid: "ops-app" });
    const ep = await call<{ id: string }>("POST", `/api/v1/app/${app.id}/endpoint`, {
      url: "http://127.0.0.1:9/unused",
      uid: "ops-ep",
    });
    const event = await waitForOpsEvent("endpoint.created", ep.id);
    expect(event.data).toEqual({
      appId: app.id,
      appUid: "ops-app",
      endpointId: ep.id,
      endpointUid: "ops-ep",
    });
    expect(Number.isNaN(Date.parse(event.timestamp))).toBe(false);
  });

  it("disables an endpoint that only failed for the whole window and tells the operator", async () => {
    const failing = await startReceiver(() => ({ status: 500 }));
    try {
      const app = await call<{ id: string }>("POST", "/api/v1/app", { name: "Failing" });
      const ep = await call<{ id: string }>("POST", `/api/v1/app/${app.id}/endpoint`, { url: failing.url });
      await call("POST", `/api/v1/app/${app.id}/msg`, { eventType: "health.test", payload: { n: 1 } });
      await waitUntilDisabled(app.id, ep.id);
      // More than one attempt: the disable came from the window, not from a single failure.
      expect(failing.requests.length).toBeGreaterThan(1);

      const disabled = await waitForOpsEvent("endpoint.disabled", ep.id);
      expect(disabled.data).toMatchObject({ appId: app.id, endpointId: ep.id });
      expect(Number.isNaN(Date.parse(String(disabled.data.failSince)))).toBe(false);

      // A disabled endpoint gets no new deliveries.
      const before = failing.requests.length;
      await call("POST", `/api/v1/app/${app.id}/msg`, { eventType: "health.test", payload: { n: 2 } });
      await new Promise((r) => setTimeout(r, 3000));
      expect(
        failing.requests.filter((_, i) => i >= before).map((r) => JSON.parse(r.body)),
      ).not.toContainEqual({
        n: 2,
      });
    } finally {
      await failing.close();
    }
  });

  it("disables at once on 410 Gone, and re-enabling delivers again", async () => {
    let gone = true;
    const receiver = await startReceiver(() => ({ status: gone ? 410 : 200 }));
    try {
      const app = await call<{ id: string }>("POST", "/api/v1/app", { name: "Gone" });
      const ep = await call<{ id: string }>("POST", `/api/v1/app/${app.id}/endpoint`, { url: receiver.url });
      await call("POST", `/api/v1/app/${app.id}/msg`, { eventType: "health.test", payload: { n: 1 } });
      await waitUntilDisabled(app.id, ep.id);
      expect(receiver.requests).toHaveLength(1);
      await waitForOpsEvent("endpoint.disabled", ep.id);

      gone = false;
      await call("PATCH", `/api/v1/app/${app.id}/endpoint/${ep.id}`, { disabled: false });
      const msg = await call<{ id: string }>("POST", `/api/v1/app/${app.id}/msg`, {
        eventType: "health.test",
        payload: { n: 2 },
      });
      await receiver.waitFor((reqs) => reqs.some((r) => r.headers["webhook-id"] === msg.id));
      const ep2 = await call<{ disabled: boolean }>("GET", `/api/v1/app/${app.id}/endpoint/${ep.id}`);
      expect(ep2.disabled).toBe(false);
    } finally {
      await receiver.close();
    }
  });
});
