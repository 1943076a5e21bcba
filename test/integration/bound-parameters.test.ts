import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { findActiveEventTypeNames, insertEventType } from "../../src/db/event-types";
import { MessageStore } from "../../src/log/message-store";
import { Partitions } from "../../src/log/partitions";
import { api, createApp, json } from "../helpers";
import { createMessage, logStub } from "./delivery-fixtures";

// D1 and Durable Object SQLite bind at most 100 parameters per statement; local SQLite allows
// 32k, so a statement built from a list can pass every local test and fail in production. These
// tests watch every statement's bindings (the real D1 and SQLite run underneath) and fail when
// one goes over 100, whatever the local engine allows.
const MAX_BOUND_PARAMETERS = 100;

/** Forwards a method call to its own object (native bindings need their own `this`). */
const forward = <T extends object>(target: T, prop: string | symbol) => {
  const value = Reflect.get(target, prop, target);
  return typeof value === "function" ? value.bind(target) : value;
};

/** The D1 database, recording the number of parameters each statement binds. */
function watchedD1(db: D1Database, bound: number[]): D1Database {
  const statement = (stmt: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(stmt, {
      get: (target, prop) =>
        prop === "bind"
          ? (...values: unknown[]) => {
              bound.push(values.length);
              return statement(target.bind(...values));
            }
          : forward(target, prop),
    });
  return new Proxy(db, {
    get: (target, prop) =>
      prop === "prepare" ? (sql: string) => statement(target.prepare(sql)) : forward(target, prop),
  });
}

/** A log object's SqlStorage, recording the number of parameters each exec binds. */
function watchedSql(sql: SqlStorage, bound: number[]): SqlStorage {
  return new Proxy(sql, {
    get: (target, prop) =>
      prop === "exec"
        ? (query: string, ...values: unknown[]) => {
            bound.push(values.length);
            return target.exec(query, ...values);
          }
        : forward(target, prop),
  });
}

const names = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}.${i}`);

describe("statements built from lists", () => {
  it("checks 1000 event type names in statements of at most 100 parameters", async () => {
    const prefix = `bound.${Date.now().toString(36)}`;
    const existing = names(1000, prefix);
    const now = Date.now();
    await env.DB.batch(
      existing.map((name, i) =>
        insertEventType(env.DB, {
          name,
          description: "",
          archived: i % 10 === 0 ? 1 : 0,
          deprecated: 0,
          feature_flag: null,
          feature_flags: null,
          group_name: null,
          schemas: null,
          created_at: now,
          updated_at: now,
        }),
      ),
    );
    const bound: number[] = [];
    const asked = [...existing, ...names(150, `${prefix}.missing`)];
    const found = await findActiveEventTypeNames(watchedD1(env.DB, bound), asked);
    expect(bound.length).toBeGreaterThan(0);
    expect(Math.max(...bound)).toBeLessThanOrEqual(MAX_BOUND_PARAMETERS);
    expect([...found].sort()).toEqual(existing.filter((_, i) => i % 10 !== 0).sort());
  });

  it("lists messages filtered by 150 event types in statements of at most 100 parameters", async () => {
    const app = await createApp();
    const kept = await createMessage(app.id, { eventType: "bound.kept" });
    await createMessage(app.id, { eventType: "bound.other" });
    const filter = [...names(149, "bound.absent"), "bound.kept"];
    const bound: number[] = [];
    const listed = await runInDurableObject(logStub(app.id), (_log, state) => {
      const sql = watchedSql(state.storage.sql, bound);
      const store = new MessageStore(sql, new Partitions(sql));
      const filterOf = {
        fromId: null,
        toId: null,
        cursor: null,
        eventTypes: filter,
        channel: null,
        tag: null,
      };
      return store.list(filterOf, "DESC", 50, Date.now()).map((m) => m.id);
    });
    expect(listed).toEqual([kept.id]);
    expect(bound.length).toBeGreaterThan(0);
    expect(Math.max(...bound)).toBeLessThanOrEqual(MAX_BOUND_PARAMETERS);
  });
});

describe("event_types filters at the API", () => {
  const listings = (appId: string, endpointId: string, msgId: string) => [
    `/api/v1/app/${appId}/msg`,
    `/api/v1/app/${appId}/endpoint/${endpointId}/msg`,
    `/api/v1/app/${appId}/attempt/endpoint/${endpointId}`,
    `/api/v1/app/${appId}/attempt/msg/${msgId}`,
  ];

  it("answers 422 to 150 names and a correct page to 100, on every listing", async () => {
    const app = await createApp();
    const ep = await json<{ id: string }>(
      await api("POST", `/api/v1/app/${app.id}/endpoint`, { url: "https://receiver.example.com/hook" }),
    );
    const msg = await createMessage(app.id, { eventType: "bound.kept" });
    for (const path of listings(app.id, ep.id, msg.id)) {
      const tooMany = await api("GET", `${path}?event_types=${names(150, "bound.x").join(",")}`);
      expect(tooMany.status, path).toBe(422);
      const body = await json<{ detail: { loc: unknown[] }[] }>(tooMany);
      expect(body.detail[0]?.loc, path).toEqual(["query", "event_types"]);
      const repeated = new URLSearchParams(names(150, "bound.y").map((n) => ["event_types", n]));
      expect((await api("GET", `${path}?${repeated}`)).status, path).toBe(422);
      const atLimit = [...names(99, "bound.z"), "bound.kept"].join(",");
      const ok = await api("GET", `${path}?event_types=${atLimit}`);
      expect(ok.status, path).toBe(200);
    }
    const page = await json<{ data: { id: string }[] }>(
      await api(
        "GET",
        `/api/v1/app/${app.id}/msg?event_types=${[...names(99, "bound.z"), "bound.kept"].join(",")}`,
      ),
    );
    expect(page.data.map((m) => m.id)).toEqual([msg.id]);
  });

  it("counts a name repeated 150 times once", async () => {
    const app = await createApp();
    const msg = await createMessage(app.id, { eventType: "bound.kept" });
    const res = await api(
      "GET",
      `/api/v1/app/${app.id}/msg?event_types=${Array(150).fill("bound.kept").join(",")}`,
    );
    expect(res.status).toBe(200);
    expect((await json<{ data: { id: string }[] }>(res)).data.map((m) => m.id)).toEqual([msg.id]);
  });

  it("answers 422 to a name that is not an event type name", async () => {
    const app = await createApp();
    for (const bad of ["a b", "x".repeat(257), "é"]) {
      const res = await api("GET", `/api/v1/app/${app.id}/msg?event_types=${encodeURIComponent(bad)}`);
      expect(res.status, bad).toBe(422);
    }
  });
});
