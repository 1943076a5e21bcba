import { describe, expect, it } from "vitest";
import { api, json } from "../helpers";

// Event types are global and storage is shared by the tests of a file: every test uses
// names of its own (a per-test prefix).
let counter = 0;
const unique = (base: string) => `${base}.${Date.now().toString(36)}${counter++}`;

type EventTypeOut = {
  name: string;
  description: string;
  archived: boolean;
  deprecated: boolean;
  schemas?: Record<string, unknown> | null;
  featureFlags: string[] | null;
  groupName: string | null;
};
type ListOut = { data: EventTypeOut[]; iterator: string | null; prevIterator: string | null; done: boolean };

const SCHEMAS = {
  "1": { type: "object", properties: { userId: { type: "string" } }, required: ["userId"] },
};

describe("event types", () => {
  it("creates, gets, updates, patches and archives an event type", async () => {
    const name = unique("user.signup");
    const created = await api("POST", "/api/v1/event-type", {
      name,
      description: "A user signed up",
      schemas: SCHEMAS,
      featureFlags: ["beta"],
      groupName: "user",
    });
    expect(created.status).toBe(201);
    expect(await json(created)).toMatchObject({
      name,
      description: "A user signed up",
      archived: false,
      deprecated: false,
      schemas: SCHEMAS,
      featureFlags: ["beta"],
      featureFlag: "beta",
      groupName: "user",
    });

    const got = await json<EventTypeOut>(await api("GET", `/api/v1/event-type/${name}`));
    expect(got.schemas).toEqual(SCHEMAS);

    const put = await api("PUT", `/api/v1/event-type/${name}`, { description: "Replaced" });
    expect(put.status).toBe(200);
    // PUT replaces: the omitted schemas, flags and group are cleared.
    expect(await json(put)).toMatchObject({
      description: "Replaced",
      schemas: null,
      featureFlags: null,
      groupName: null,
    });

    const patch = await api("PATCH", `/api/v1/event-type/${name}`, { deprecated: true, schemas: SCHEMAS });
    expect(patch.status).toBe(200);
    expect(await json(patch)).toMatchObject({ description: "Replaced", deprecated: true, schemas: SCHEMAS });

    const del = await api("DELETE", `/api/v1/event-type/${name}`);
    expect(del.status).toBe(204);
    // Archived, not gone: still readable by name.
    const archived = await json<EventTypeOut>(await api("GET", `/api/v1/event-type/${name}`));
    expect(archived.archived).toBe(true);

    const restored = await api("PATCH", `/api/v1/event-type/${name}`, { archived: false });
    expect((await json<EventTypeOut>(restored)).archived).toBe(false);
  });

  it("deletes for good with expunge=true", async () => {
    const name = unique("gone");
    await api("POST", "/api/v1/event-type", { name, description: "x" });
    expect((await api("DELETE", `/api/v1/event-type/${name}?expunge=true`)).status).toBe(204);
    expect((await api("GET", `/api/v1/event-type/${name}`)).status).toBe(404);
    // The name is free again.
    expect((await api("POST", "/api/v1/event-type", { name, description: "again" })).status).toBe(201);
  });

  it("upserts with PUT on an unknown name", async () => {
    const name = unique("upsert");
    const res = await api("PUT", `/api/v1/event-type/${name}`, { description: "new", deprecated: true });
    expect(res.status).toBe(201);
    expect(await json(res)).toMatchObject({ name, description: "new", deprecated: true, archived: false });
  });

  it("unarchives an archived event type on create, replacing its fields", async () => {
    const name = unique("revive");
    await api("POST", "/api/v1/event-type", { name, description: "old", schemas: SCHEMAS });
    await api("DELETE", `/api/v1/event-type/${name}`);
    const again = await api("POST", "/api/v1/event-type", { name, description: "new" });
    expect(again.status).toBe(201);
    expect(await json(again)).toMatchObject({ name, description: "new", archived: false, schemas: null });
  });

  it("returns 409 when an active event type has the name", async () => {
    const name = unique("dup");
    expect((await api("POST", "/api/v1/event-type", { name, description: "one" })).status).toBe(201);
    const again = await api("POST", "/api/v1/event-type", { name, description: "two" });
    expect(again.status).toBe(409);
    expect(await json(again)).toMatchObject({ code: "conflict" });
    expect((await json<EventTypeOut>(await api("GET", `/api/v1/event-type/${name}`))).description).toBe(
      "one",
    );
  });

  it("lists by name with pagination, include_archived and with_content", async () => {
    const prefix = unique("list");
    const names = ["a", "b", "c", "d"].map((s) => `${prefix}.${s}`);
    for (const name of names)
      await api("POST", "/api/v1/event-type", { name, description: name, schemas: SCHEMAS });
    await api("DELETE", `/api/v1/event-type/${names[1]}`);

    // Start right before the prefix so other tests' types sort outside the window.
    const first = await json<ListOut>(await api("GET", `/api/v1/event-type?limit=2&iterator=${prefix}`));
    expect(first.data.map((e) => e.name)).toEqual([names[0], names[2]]);
    expect(first.data[0]?.schemas).toBeUndefined();
    expect(first.done).toBe(false);

    const next = await json<ListOut>(
      await api("GET", `/api/v1/event-type?limit=1&iterator=${first.iterator}`),
    );
    expect(next.data.map((e) => e.name)).toEqual([names[3]]);

    const back = await json<ListOut>(
      await api("GET", `/api/v1/event-type?limit=2&iterator=${next.prevIterator}`),
    );
    expect(back.data.map((e) => e.name)).toEqual([names[0], names[2]]);

    const all = await json<ListOut>(
      await api(
        "GET",
        `/api/v1/event-type?limit=3&include_archived=true&with_content=true&iterator=${prefix}`,
      ),
    );
    expect(all.data.map((e) => e.name)).toEqual(names.slice(0, 3));
    expect(all.data[1]).toMatchObject({ archived: true, schemas: SCHEMAS });
  });

  it("answers 422 in Svix's shape for invalid input", async () => {
    const badName = await api("POST", "/api/v1/event-type", { name: "has space", description: "x" });
    expect(badName.status).toBe(422);
    const body = await json<{ detail: { loc: unknown[]; msg: string; type: string }[] }>(badName);
    expect(body.detail[0]).toMatchObject({ loc: ["body", "name"] });
    expect(typeof body.detail[0]?.msg).toBe("string");

    const missing = await api("POST", "/api/v1/event-type", { name: unique("nodesc") });
    expect(missing.status).toBe(422);
    expect((await json<{ detail: { loc: unknown[] }[] }>(missing)).detail[0]?.loc).toEqual([
      "body",
      "description",
    ]);

    const badSchema = await api("POST", "/api/v1/event-type", {
      name: unique("s"),
      description: "x",
      schemas: { "1": 5 },
    });
    expect(badSchema.status).toBe(422);

    const badPatch = await api("PATCH", `/api/v1/event-type/${unique("p")}`, { deprecated: "yes" });
    expect(badPatch.status).toBe(422);
  });

  it("answers 404 for unknown names", async () => {
    const name = unique("missing");
    for (const [method, body] of [
      ["GET", undefined],
      ["PATCH", { description: "x" }],
      ["DELETE", undefined],
    ] as const) {
      const res = await api(method, `/api/v1/event-type/${name}`, body);
      expect(res.status, method).toBe(404);
      expect(await json(res)).toMatchObject({ code: "not_found" });
    }
  });

  it("answers 401 without a valid token", async () => {
    for (const token of [null, "wrong-token"]) {
      const list = await api("GET", "/api/v1/event-type", undefined, { token });
      expect(list.status).toBe(401);
      const create = await api(
        "POST",
        "/api/v1/event-type",
        { name: unique("x"), description: "x" },
        { token },
      );
      expect(create.status).toBe(401);
      expect(await json(create)).toMatchObject({ code: "authentication_failed" });
    }
  });
});
