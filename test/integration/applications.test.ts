import { describe, expect, it } from "vitest";
import { api, createApp, json } from "../helpers";

describe("applications", () => {
  it("creates, gets, lists, updates, patches and deletes an application", async () => {
    const created = await createApp({ name: "Acme", uid: "acme", metadata: { plan: "pro" } });
    expect(created.id).toMatch(/^app_[0-9A-Za-z]{22}$/);

    const byUid = await json(await api("GET", "/api/v1/app/acme"));
    expect(byUid).toMatchObject({ id: created.id, name: "Acme", uid: "acme", metadata: { plan: "pro" } });

    const put = await api("PUT", `/api/v1/app/${created.id}`, { name: "Acme 2", throttleRate: 5 });
    expect(put.status).toBe(200);
    expect(await json(put)).toMatchObject({ name: "Acme 2", throttleRate: 5, uid: null });

    const patch = await api("PATCH", `/api/v1/app/${created.id}`, { uid: "acme-2" });
    expect(await json(patch)).toMatchObject({ name: "Acme 2", uid: "acme-2", throttleRate: 5 });

    const del = await api("DELETE", "/api/v1/app/acme-2");
    expect(del.status).toBe(204);
    expect((await api("GET", `/api/v1/app/${created.id}`)).status).toBe(404);
  });

  it("returns 409 for a duplicate uid and the existing app with get_if_exists", async () => {
    const first = await createApp({ name: "One", uid: "dup" });
    const again = await api("POST", "/api/v1/app", { name: "Two", uid: "dup" });
    expect(again.status).toBe(409);
    expect(await json(again)).toMatchObject({ code: "conflict" });

    const existing = await api("POST", "/api/v1/app?get_if_exists=true", { name: "Two", uid: "dup" });
    expect(existing.status).toBe(200);
    expect((await json(existing)).id).toBe(first.id);
  });

  it("paginates with iterator, prevIterator and done, stable under inserts", async () => {
    // Storage is shared by the tests of a file: start after the newest existing application.
    const newest = await json<{ data: { id: string }[] }>(
      await api("GET", "/api/v1/app?limit=1&order=descending"),
    );
    const start = newest.data[0]?.id ?? "";
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await createApp({ name: `app ${i}` })).id);

    const page1 = await json<{ data: { id: string }[]; iterator: string; done: boolean }>(
      await api("GET", `/api/v1/app?limit=2${start ? `&iterator=${start}` : ""}`),
    );
    expect(page1.data.map((a) => a.id)).toEqual(ids.slice(0, 2));
    expect(page1.done).toBe(false);

    await createApp({ name: "inserted meanwhile" });
    const page2 = await json<{ data: { id: string }[]; iterator: string; prevIterator: string }>(
      await api("GET", `/api/v1/app?limit=2&iterator=${page1.iterator}`),
    );
    expect(page2.data.map((a) => a.id)).toEqual(ids.slice(2, 4));

    const back = await json<{ data: { id: string }[] }>(
      await api("GET", `/api/v1/app?limit=2&iterator=${page2.prevIterator}`),
    );
    expect(back.data.map((a) => a.id)).toEqual(ids.slice(0, 2));

    const desc = await json<{ data: { id: string }[] }>(
      await api("GET", "/api/v1/app?limit=3&order=descending"),
    );
    expect(desc.data.map((a) => a.id)).toEqual([expect.any(String), ids[4], ids[3]]);
  });

  it("answers 422 in the Svix validation shape for a bad body", async () => {
    const res = await api("POST", "/api/v1/app", { name: "", uid: "bad uid!" });
    expect(res.status).toBe(422);
    const body = await json<{ detail: { loc: string[]; msg: string; type: string }[] }>(res);
    expect(body.detail.map((d) => d.loc.join("."))).toEqual(
      expect.arrayContaining(["body.name", "body.uid"]),
    );
  });

  it("answers 400 for malformed JSON and changes nothing", async () => {
    const count = async () =>
      (await json<{ data: unknown[] }>(await api("GET", "/api/v1/app?limit=250"))).data.length;
    const before = await count();
    const res = await api("POST", "/api/v1/app", '{"name": "x",');
    expect(res.status).toBe(400);
    expect(await json(res)).toMatchObject({ code: "invalid_json" });
    expect(await count()).toBe(before);
  });

  it("answers 401 without a valid token, in constant-time comparison", async () => {
    expect((await api("GET", "/api/v1/app", undefined, { token: null })).status).toBe(401);
    const wrong = await api("GET", "/api/v1/app", undefined, { token: "test-admin-tokem" });
    expect(wrong.status).toBe(401);
    expect(await json(wrong)).toMatchObject({ code: "authentication_failed" });
  });

  it("serves health without auth and unknown routes as 404 in the error shape", async () => {
    expect((await api("GET", "/api/v1/health", undefined, { token: null })).status).toBe(200);
    const missing = await api("GET", "/api/v1/nothing-here");
    expect(missing.status).toBe(404);
    expect(await json(missing)).toMatchObject({ code: "not_found" });
  });

  it("answers 413 for a body over the limit", async () => {
    const res = await api("POST", "/api/v1/app", { name: "x".repeat(300 * 1024) });
    expect(res.status).toBe(413);
    expect(await json(res)).toMatchObject({ code: "payload_too_large" });
  });
});
