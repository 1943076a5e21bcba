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
});
