import { Svix } from "svix";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Gateway, startGateway } from "./harness";

// The official svix client, pointed at Edgehook running under wrangler dev.
describe("svix client against the running gateway", () => {
  let gateway: Gateway;
  let svix: Svix;

  beforeAll(async () => {
    gateway = await startGateway();
    svix = new Svix(gateway.token, { serverUrl: gateway.url });
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it("creates, reads, lists and deletes applications", async () => {
    const app = await svix.application.create({ name: "Svix client app", uid: "svix-client-app" });
    expect(app.id).toMatch(/^app_/);
    expect((await svix.application.get("svix-client-app")).id).toBe(app.id);
    const same = await svix.application.getOrCreate({ name: "ignored", uid: "svix-client-app" });
    expect(same.id).toBe(app.id);
    const list = await svix.application.list({ limit: 10 });
    expect(list.data.map((a) => a.id)).toContain(app.id);
    const updated = await svix.application.patch(app.id, { name: "Renamed" });
    expect(updated.name).toBe("Renamed");
    await svix.application.delete(app.id);
    await expect(svix.application.get(app.id)).rejects.toMatchObject({ code: 404 });
  });

  it("answers a repeated eventId with 409 and a repeated idempotency key with the original message", async () => {
    const app = await svix.application.create({ name: "Keys" });
    const first = await svix.message.create(app.id, {
      eventType: "invoice.paid",
      eventId: "evt-once",
      payload: { n: 1 },
    });
    await expect(
      svix.message.create(app.id, { eventType: "invoice.paid", eventId: "evt-once", payload: { n: 2 } }),
    ).rejects.toMatchObject({ code: 409 });
    // The message is readable by its eventId, and only the first one exists.
    expect((await svix.message.get(app.id, "evt-once", { withContent: true })).payload).toEqual({ n: 1 });
    expect((await svix.message.get(app.id, "evt-once")).id).toBe(first.id);

    const a = await svix.message.create(
      app.id,
      { eventType: "invoice.paid", payload: { n: 3 } },
      { idempotencyKey: "key-1" },
    );
    const b = await svix.message.create(
      app.id,
      { eventType: "invoice.paid", payload: { n: 4 } },
      { idempotencyKey: "key-1" },
    );
    expect(b.id).toBe(a.id);
    const listed = await svix.message.list(app.id);
    expect(listed.data.map((m) => m.id).sort()).toEqual([first.id, a.id].sort());
  });

  it("creates two event types and an endpoint, and reads back its whsec_ secret", async () => {
    const app = await svix.application.create({ name: "Endpoint owner" });
    const suffix = Date.now().toString(36);
    const paid = `invoice.paid.${suffix}`;
    const voided = `invoice.voided.${suffix}`;
    await svix.eventType.create({ name: paid, description: "An invoice was paid" });
    await svix.eventType.create({
      name: voided,
      description: "An invoice was voided",
      schemas: { "1": { type: "object", required: ["invoiceId"] } },
    });
    const types = await svix.eventType.list({ withContent: true, limit: 250 });
    expect(types.data.map((t) => t.name)).toEqual(expect.arrayContaining([paid, voided]));

    const endpoint = await svix.endpoint.create(app.id, {
      url: "https://receiver.example.com/webhooks",
      eventTypes: [paid, voided],
      uid: "main-endpoint",
      throttleRate: 10,
      metadata: { team: "billing" },
    });
    expect(endpoint.id).toMatch(/^ep_/);
    const { key } = await svix.endpoint.getSecret(app.id, "main-endpoint");
    expect(key).toMatch(/^whsec_[A-Za-z0-9+/=]{32,}$/);

    await svix.endpoint.rotateSecret(app.id, endpoint.id, {});
    const rotated = await svix.endpoint.getSecret(app.id, endpoint.id);
    expect(rotated.key).not.toBe(key);

    await svix.endpoint.setHeaders(app.id, endpoint.id, { headers: { "X-Team": "billing" } });
    expect((await svix.endpoint.getHeaders(app.id, endpoint.id)).headers).toEqual({ "X-Team": "billing" });

    const patched = await svix.endpoint.patch(app.id, endpoint.id, { disabled: true });
    expect(patched.disabled).toBe(true);
    const list = await svix.endpoint.list(app.id);
    expect(list.data.map((e) => e.id)).toEqual([endpoint.id]);

    await expect(
      svix.endpoint.create(app.id, { url: "https://user:pw@receiver.example.com/" }),
    ).rejects.toMatchObject({ code: 422 });

    await svix.endpoint.delete(app.id, endpoint.id);
    await expect(svix.endpoint.get(app.id, endpoint.id)).rejects.toMatchObject({ code: 404 });
  });
});
