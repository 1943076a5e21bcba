import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { MAX_VALIDATION_ISSUES } from "../../src/app";
import { jsonDeeperThan, MAX_BODY_DEPTH } from "../../src/lib/json-depth";
import { MAX_SCHEMA_ERRORS } from "../../src/services/json-schema";
import { SCHEMA_LIMITS } from "../../src/services/schema-limits";
import { api, createApp, json } from "../helpers";
import { drained, sentDeliveries, spySendBatch } from "./consumer-helpers";
import { createEndpoint, createEventType, postMessage } from "./delivery-fixtures";

// Bodies built to cost the worker CPU, memory or a 500: each gets a bounded 4xx in the Svix
// error shape, and a refused write changes nothing.

type Issues = { detail: { loc: (string | number)[]; msg: string; type: string }[] };

let counter = 0;
const uniqueName = () => `hostile.${Date.now().toString(36)}${counter++}`;

/** `[[[...]]]` nested `depth` levels, as JSON text (JSON.stringify would overflow the stack). */
const nestedArrays = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;

/** A JSON text whose outer object is level 1 and whose `a` nests `depth - 1` more arrays. */
const bodyOfDepth = (fields: string, depth: number) => `{${fields},"a":${nestedArrays(depth - 1)}}`;

// Accepted messages go to a spied queue: nothing is sent over the network.
let send: ReturnType<typeof spySendBatch>;
beforeEach(() => {
  send = spySendBatch();
});
afterEach(() => {
  vi.restoreAllMocks();
});

async function eventTypeStatus(name: string) {
  return (await api("GET", `/api/v1/event-type/${name}`)).status;
}

describe("the JSON depth scan", () => {
  it("counts arrays and objects, not brackets inside strings", () => {
    expect(jsonDeeperThan("[[[]]]", 2)).toBe(true);
    expect(jsonDeeperThan("[[[]]]", 3)).toBe(false);
    expect(jsonDeeperThan('{"a":[{"b":1}],"c":[]}', 3)).toBe(false);
    expect(jsonDeeperThan('{"a":[{"b":1}],"c":[]}', 2)).toBe(true);
    expect(jsonDeeperThan('{"a":"}}}{{{[[["}', 1)).toBe(false);
    // An escaped quote does not end the string; an escaped backslash before a quote does.
    expect(jsonDeeperThan('["\\"[[["]', 1)).toBe(false);
    expect(jsonDeeperThan('["\\\\",[[1]]]', 2)).toBe(true);
    expect(jsonDeeperThan('"[[[["', 0)).toBe(false);
  });
});

describe("hostile message payloads", () => {
  it("answers a 100k-item payload failing a 250-value enum with a small, bounded 422", async () => {
    const app = await createApp();
    const values = Array.from({ length: 250 }, (_, i) => `value-${i}-${"x".repeat(20)}`);
    const eventType = await createEventType({
      schemas: { "1": { type: "object", properties: { items: { type: "array", items: { enum: values } } } } },
    });
    const payload = { items: Array.from({ length: 100_000 }, () => 0) };
    const res = await postMessage(app.id, { eventType, payload });
    expect(res.status).toBe(422);
    const text = await res.text();
    expect(text.length).toBeLessThan(100_000);
    const body = JSON.parse(text) as Issues;
    expect(body.detail.length).toBeGreaterThan(0);
    expect(body.detail.length).toBeLessThanOrEqual(MAX_SCHEMA_ERRORS);
    expect(body.detail[0]).toMatchObject({
      loc: ["body", "payload", "items", 0],
      type: "value_error.jsonschema",
    });
    expect(body.detail[0]?.msg).not.toContain(values[100]);
  });

  it("answers a catastrophic-backtracking pattern (linear engine)", async () => {
    const app = await createApp();
    const eventType = await createEventType({
      schemas: { "1": { type: "object", properties: { name: { type: "string", pattern: "^(a+)+$" } } } },
    });
    const bad = await postMessage(app.id, { eventType, payload: { name: `${"a".repeat(40)}!` } });
    expect(bad.status).toBe(422);
    expect((await json<Issues>(bad)).detail.map((d) => d.loc)).toEqual([["body", "payload", "name"]]);
    const good = await postMessage(app.id, { eventType, payload: { name: "a".repeat(40) } });
    expect(good.status).toBe(202);
  });

  it("refuses a payload nested 120k levels deep with a 422, before parsing it", async () => {
    const app = await createApp();
    const text = bodyOfDepth('"eventType":"user.signup","payload":{}', 120_000);
    const res = await api("POST", `/api/v1/app/${app.id}/msg`, text);
    expect(res.status).toBe(422);
    expect((await json<Issues>(res)).detail).toMatchObject([{ loc: ["body"] }]);
    const list = await json<{ data: unknown[] }>(await api("GET", `/api/v1/app/${app.id}/msg`));
    expect(list.data).toEqual([]);
  });

  it("accepts a payload nested exactly to the limit, and parses it as before", async () => {
    const app = await createApp();
    // {"eventType":..., "payload": {"a": [[...]]}}: the payload is level 2.
    const payloadText = bodyOfDepth('"b":"[{\\"quoted brackets do not count\\"}]"', MAX_BODY_DEPTH - 1);
    const text = `{"eventType":"user.signup","payload":${payloadText}}`;
    const res = await api("POST", `/api/v1/app/${app.id}/msg`, text);
    expect(res.status).toBe(202);
    const out = await json<{ id: string; payload: unknown }>(res);
    expect(out.payload).toEqual(JSON.parse(payloadText));

    const deeper = `{"eventType":"user.signup","payload":${bodyOfDepth('"b":1', MAX_BODY_DEPTH)}}`;
    expect((await api("POST", `/api/v1/app/${app.id}/msg`, deeper)).status).toBe(422);
  });

  it("leaves the depth of a body that is not JSON to its route", async () => {
    const app = await createApp();
    const res = await api("POST", `/api/v1/app/${app.id}/msg`, nestedArrays(120_000), {
      headers: { "content-type": "text/plain" },
    });
    expect(res.status).toBeLessThan(500);
    expect(res.status).toBeGreaterThanOrEqual(400);
  });
});

describe("hostile event type schemas", () => {
  it("refuses a schemas object nested 120k levels deep on create, PUT and PATCH", async () => {
    const name = uniqueName();
    const deep = `{"1":{"a":${nestedArrays(120_000)}}}`;
    const created = await api(
      "POST",
      "/api/v1/event-type",
      `{"name":"${name}","description":"d","schemas":${deep}}`,
    );
    expect(created.status).toBe(422);
    expect(await eventTypeStatus(name)).toBe(404);

    expect((await api("POST", "/api/v1/event-type", { name, description: "d" })).status).toBe(201);
    const put = await api("PUT", `/api/v1/event-type/${name}`, `{"description":"d","schemas":${deep}}`);
    expect(put.status).toBe(422);
    const patch = await api("PATCH", `/api/v1/event-type/${name}`, `{"schemas":${deep}}`);
    expect(patch.status).toBe(422);
    expect((await json(await api("GET", `/api/v1/event-type/${name}`))).schemas).toBeNull();
  });

  it("refuses a lookahead pattern at save with a 422 naming its path", async () => {
    const name = uniqueName();
    const schemas = {
      "1": { type: "object", properties: { code: { type: "string", pattern: "^(?=.*\\d)[a-z0-9]+$" } } },
    };
    const res = await api("POST", "/api/v1/event-type", { name, description: "d", schemas });
    expect(res.status).toBe(422);
    expect((await json<Issues>(res)).detail).toMatchObject([
      { loc: ["body", "schemas", "1", "properties", "code", "pattern"], type: "value_error.pattern" },
    ]);
    expect(await eventTypeStatus(name)).toBe(404);

    expect((await api("POST", "/api/v1/event-type", { name, description: "d" })).status).toBe(201);
    expect((await api("PUT", `/api/v1/event-type/${name}`, { description: "d", schemas })).status).toBe(422);
    expect((await api("PATCH", `/api/v1/event-type/${name}`, { schemas })).status).toBe(422);
    expect((await json(await api("GET", `/api/v1/event-type/${name}`))).schemas).toBeNull();
  });

  it("refuses schemas over the size, depth or version caps, naming the path", async () => {
    const tooBig = { "1": { description: "d".repeat(SCHEMA_LIMITS.maxBytes) } };
    let tooDeep: Record<string, unknown> = {};
    for (let i = 0; i < SCHEMA_LIMITS.maxDepth; i++) tooDeep = { not: tooDeep };
    const tooMany = Object.fromEntries(
      Array.from({ length: SCHEMA_LIMITS.maxVersions + 1 }, (_, i) => [`${i + 1}`, { type: "object" }]),
    );
    for (const [schemas, loc] of [
      [tooBig, ["body", "schemas"]],
      [{ "1": tooDeep }, ["body", "schemas", "1", ...Array(SCHEMA_LIMITS.maxDepth).fill("not")]],
      [tooMany, ["body", "schemas"]],
    ] as const) {
      const name = uniqueName();
      const res = await api("POST", "/api/v1/event-type", { name, description: "d", schemas });
      expect(res.status).toBe(422);
      expect((await json<Issues>(res)).detail.map((d) => d.loc)).toEqual([loc]);
      expect(await eventTypeStatus(name)).toBe(404);
    }
  });
});

describe("schemas stored before the caps", () => {
  it("refuses to send an example nested deeper than a payload may be, without a 5xx", async () => {
    const app = await createApp();
    const endpoint = await createEndpoint(app.id);
    const sendExample = (eventType: string) =>
      api("POST", `/api/v1/app/${app.id}/endpoint/${endpoint.id}/send-example`, { eventType });
    for (const depth of [MAX_BODY_DEPTH, 120_000]) {
      const name = uniqueName();
      // The example {"a": [[...]]} nests `depth` levels: one more than a payload may.
      const schemas = `{"1":{"type":"object","examples":[{"a":${nestedArrays(depth - 1)}}]}}`;
      await storeEventType(name, schemas);
      const res = await sendExample(name);
      expect(res.status, `depth ${depth}`).toBe(422);
      expect((await json<Issues>(res)).detail).toMatchObject([{ loc: ["body", "payload"] }]);
    }
    const atLimit = uniqueName();
    await storeEventType(atLimit, `{"1":{"examples":[{"a":${nestedArrays(MAX_BODY_DEPTH - 2)}}]}}`);
    expect((await sendExample(atLimit)).status).toBe(200);
    await drained(app.id);
    expect(sentDeliveries(send).filter((d) => d.appId === app.id)).toHaveLength(1);
  });
});

/** Writes an event type row as it could have been stored before the save-time caps. */
async function storeEventType(name: string, schemas: string) {
  await env.DB.prepare(
    "INSERT INTO event_types (name, description, archived, deprecated, schemas, created_at, updated_at) VALUES (?1, 'd', 0, 0, ?2, 0, 0)",
  )
    .bind(name, schemas)
    .run();
}

describe("schema (zod) validation answers", () => {
  it("list at most MAX_VALIDATION_ISSUES issues and count the rest, however many fields are wrong", async () => {
    const app = await createApp();
    const ep = await createEndpoint(app.id);
    const many = await api("PATCH", `/api/v1/app/${app.id}/endpoint/${ep.id}`, {
      eventTypes: Array.from({ length: 900 }, (_, i) => i),
    });
    const text = await many.text();
    expect(many.status).toBe(422);
    expect(text.length).toBeLessThan(100_000);
    const { detail } = JSON.parse(text) as Issues;
    expect(detail).toHaveLength(MAX_VALIDATION_ISSUES + 1);
    expect(detail.at(-1)?.msg).toMatch(/more/);

    const name = uniqueName();
    const schemas = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, "v"]));
    const put = await api("PUT", `/api/v1/event-type/${name}`, { description: "", schemas });
    expect(put.status).toBe(422);
    expect((await put.text()).length).toBeLessThan(100_000);
    expect(await eventTypeStatus(name)).toBe(404);
  });
});
