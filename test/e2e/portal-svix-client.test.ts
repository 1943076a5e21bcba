import { Svix } from "svix";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Gateway, type Receiver, startGateway, startReceiver } from "./harness";

// The official svix client with an app-portal token, as svix-react's hooks use it, against
// Edgehook running under wrangler dev with a real receiver.
describe("svix client with an app-portal token", () => {
  let gateway: Gateway;
  let receiver: Receiver;
  let admin: Svix;

  beforeAll(async () => {
    gateway = await startGateway();
    receiver = await startReceiver();
    admin = new Svix(gateway.token, { serverUrl: gateway.url });
  });
  afterAll(async () => {
    await receiver?.close();
    await gateway?.stop();
  });

  it("does the hooks' calls with the token, then logs out", async () => {
    const eventType = `portal.e2e.${Date.now().toString(36)}`;
    await admin.eventType.create({ name: eventType, description: "Seen from the portal" });
    const access = await admin.authentication.appPortalAccess("portal-e2e", {
      application: { name: "Portal e2e" },
      featureFlags: [],
    });
    const app = await admin.application.get("portal-e2e");
    expect(access.token).toMatch(/^appsk_[A-Za-z0-9_-]{43}$/);
    const all =
      "ViewBase,ViewEndpointSecret,ManageEndpointSecret,ManageTransformations,CreateAttempts,ManageEndpoint";
    expect(access.url).toBe(`${gateway.url}/portal#app=${app.id}&token=${access.token}&capabilities=${all}`);

    const portal = new Svix(access.token, { serverUrl: gateway.url });
    const endpoint = await portal.endpoint.create(app.id, {
      url: `${receiver.url}/hook`,
      eventTypes: [eventType],
    });
    // svix-react's older client sends the filter as filterTypes, [] meaning all.
    const raw = await fetch(`${gateway.url}/api/v1/app/${app.id}/endpoint`, {
      method: "POST",
      headers: { authorization: `Bearer ${access.token}`, "content-type": "application/json" },
      body: JSON.stringify({ url: `${receiver.url}/all`, filterTypes: [] }),
    });
    expect(raw.status).toBe(201);
    expect(((await raw.json()) as { eventTypes: unknown }).eventTypes).toBeNull();
    expect((await portal.endpoint.list(app.id)).data).toHaveLength(2);
    expect((await portal.endpoint.getSecret(app.id, endpoint.id)).key).toMatch(/^whsec_/);
    expect((await portal.eventType.list({ limit: 250 })).data.map((t) => t.name)).toContain(eventType);

    const msg = await admin.message.create(app.id, { eventType, payload: { portal: true } });
    await receiver.waitFor((reqs) => reqs.length >= 2, 30_000, gateway);
    expect((await portal.message.list(app.id)).data.map((m) => m.id)).toEqual([msg.id]);
    let attempts = await portal.messageAttempt.listByMsg(app.id, msg.id);
    for (let i = 0; i < 50 && attempts.data.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 200));
      attempts = await portal.messageAttempt.listByMsg(app.id, msg.id);
    }
    expect(attempts.data.map((a) => a.responseStatusCode)).toEqual([200, 200]);
    const byEndpoint = await portal.messageAttempt.listByEndpoint(app.id, endpoint.id);
    expect(byEndpoint.data.map((a) => a.msgId)).toEqual([msg.id]);

    // Out of scope: admin routes and message creation.
    await expect(portal.application.list()).rejects.toMatchObject({ code: 403 });
    await expect(portal.message.create(app.id, { eventType, payload: {} })).rejects.toMatchObject({
      code: 403,
    });
    await expect(admin.authentication.logout()).rejects.toMatchObject({ code: 403 });

    await portal.authentication.logout();
    await expect(portal.endpoint.list(app.id)).rejects.toMatchObject({ code: 401 });
  });

  it("expires every token of an application with expireAll", async () => {
    const app = await admin.application.create({ name: "Expire all e2e" });
    const one = new Svix((await admin.authentication.appPortalAccess(app.id, {})).token, {
      serverUrl: gateway.url,
    });
    const two = new Svix((await admin.authentication.appPortalAccess(app.id, { sessionId: "s2" })).token, {
      serverUrl: gateway.url,
    });
    await admin.authentication.expireAll(app.id, { sessionIds: ["s2"] });
    await expect(two.endpoint.list(app.id)).rejects.toMatchObject({ code: 401 });
    expect((await one.endpoint.list(app.id)).data).toEqual([]);
    await admin.authentication.expireAll(app.id);
    await expect(one.endpoint.list(app.id)).rejects.toMatchObject({ code: 401 });
  });
});
