import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import {
  APP_NAME_MAX,
  CHANNEL_MAX,
  ENDPOINT_CHANNELS_MAX,
  ENDPOINT_DESCRIPTION_MAX,
  ENDPOINT_EVENT_TYPES_MAX,
  ENDPOINT_URL_MAX,
  EVENT_TYPE_DESCRIPTION_MAX,
  EVENT_TYPE_NAME_MAX,
  EXAMPLE_INDEX_MAX,
  FEATURE_FLAG_MAX,
  FEATURE_FLAGS_MAX,
  GRACE_PERIOD_MAX_SECONDS,
  GROUP_NAME_MAX,
  ITERATOR_MAX,
  LIST_LIMIT_MAX,
  MESSAGE_CHANNELS_MAX,
  MESSAGE_TAGS_MAX,
  METADATA_JSON_MAX,
  METADATA_KEY_MAX,
  METADATA_KEYS_MAX,
  METADATA_VALUE_MAX,
  PAYLOAD_RETENTION_PERIOD_MAX_DAYS,
  PAYLOAD_RETENTION_PERIOD_MIN_DAYS,
  TAG_MAX,
  THROTTLE_RATE_MAX,
  UID_MAX,
} from "../../src/api/limits";
import { insertEventType } from "../../src/db/event-types";
import { api, createApp, json } from "../helpers";

// Every limited field at its limit (accepted) and one past it (422 in Svix's shape, nothing
// created). The limits come from src/api/limits.ts, as README's "Field limits" table does.
const x = (n: number) => "x".repeat(n);
const list = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const record = (n: number, value = "v") => Object.fromEntries(list(n, "k").map((k) => [k, value]));
/** Metadata whose JSON is exactly `size` characters: 16 values of 1000 and one for the rest. */
function metadataOfJson(size: number): Record<string, string> {
  const keys = list(17, "k").map((k) => k.padEnd(3, "_"));
  const m = Object.fromEntries(keys.map((k) => [k, x(1000)]));
  m[keys[16] as string] = x(size - JSON.stringify({ ...m, [keys[16] as string]: "" }).length);
  expect(JSON.stringify(m).length).toBe(size);
  return m;
}
/** A URL of exactly `n` characters. */
const urlOf = (n: number) => {
  const base = "https://example.com/";
  return base + x(n - base.length);
};
const secretOf = (chars: number) => `whsec_${"A".repeat(chars)}`;

type Resource = "app" | "endpoint" | "event-type" | "message";
type Case = [resource: Resource, field: string, atLimit: unknown, overLimit: unknown];

// Endpoint eventTypes at the limit must all exist: created once below.
const CATALOGUE = list(ENDPOINT_EVENT_TYPES_MAX + 1, "limits.catalogue.");

const CASES: Case[] = [
  ["app", "name", x(APP_NAME_MAX), x(APP_NAME_MAX + 1)],
  ["app", "uid", `u${x(UID_MAX - 1)}`, `u${x(UID_MAX)}`],
  ["app", "throttleRate", THROTTLE_RATE_MAX, THROTTLE_RATE_MAX + 1],
  ["app", "metadata", record(METADATA_KEYS_MAX), record(METADATA_KEYS_MAX + 1)],
  ["app", "metadata", { [x(METADATA_KEY_MAX)]: "v" }, { [x(METADATA_KEY_MAX + 1)]: "v" }],
  ["app", "metadata", { k: x(METADATA_VALUE_MAX) }, { k: x(METADATA_VALUE_MAX + 1) }],
  ["app", "metadata", metadataOfJson(METADATA_JSON_MAX), metadataOfJson(METADATA_JSON_MAX + 1)],
  ["endpoint", "url", urlOf(ENDPOINT_URL_MAX), urlOf(ENDPOINT_URL_MAX + 1)],
  ["endpoint", "description", x(ENDPOINT_DESCRIPTION_MAX), x(ENDPOINT_DESCRIPTION_MAX + 1)],
  ["endpoint", "uid", `u${x(UID_MAX - 1)}`, `u${x(UID_MAX)}`],
  ["endpoint", "throttleRate", THROTTLE_RATE_MAX, THROTTLE_RATE_MAX + 1],
  ["endpoint", "channels", list(ENDPOINT_CHANNELS_MAX, "c"), list(ENDPOINT_CHANNELS_MAX + 1, "c")],
  ["endpoint", "channels", [x(CHANNEL_MAX)], [x(CHANNEL_MAX + 1)]],
  ["endpoint", "eventTypes", CATALOGUE.slice(0, ENDPOINT_EVENT_TYPES_MAX), CATALOGUE],
  ["endpoint", "metadata", record(METADATA_KEYS_MAX), record(METADATA_KEYS_MAX + 1)],
  ["endpoint", "secret", secretOf(100), secretOf(101)],
  ["endpoint", "headers", record(50), record(51)],
  ["endpoint", "headers", { [`X-${x(254)}`]: "v" }, { [`X-${x(255)}`]: "v" }],
  ["endpoint", "headers", { "X-Long": x(4096) }, { "X-Long": x(4097) }],
  ["event-type", "name", `e${x(EVENT_TYPE_NAME_MAX - 1)}`, `e${x(EVENT_TYPE_NAME_MAX)}`],
  ["event-type", "description", x(EVENT_TYPE_DESCRIPTION_MAX), x(EVENT_TYPE_DESCRIPTION_MAX + 1)],
  ["event-type", "featureFlag", x(FEATURE_FLAG_MAX), x(FEATURE_FLAG_MAX + 1)],
  ["event-type", "featureFlags", list(FEATURE_FLAGS_MAX, "f"), list(FEATURE_FLAGS_MAX + 1, "f")],
  ["event-type", "groupName", x(GROUP_NAME_MAX), x(GROUP_NAME_MAX + 1)],
  ["message", "eventId", `m${x(UID_MAX - 1)}`, `m${x(UID_MAX)}`],
  ["message", "eventType", x(EVENT_TYPE_NAME_MAX), x(EVENT_TYPE_NAME_MAX + 1)],
  ["message", "channels", list(MESSAGE_CHANNELS_MAX, "c"), list(MESSAGE_CHANNELS_MAX + 1, "c")],
  ["message", "channels", [x(CHANNEL_MAX)], [x(CHANNEL_MAX + 1)]],
  ["message", "tags", list(MESSAGE_TAGS_MAX, "t"), list(MESSAGE_TAGS_MAX + 1, "t")],
  ["message", "tags", [x(TAG_MAX)], [x(TAG_MAX + 1)]],
  [
    "message",
    "payloadRetentionPeriod",
    PAYLOAD_RETENTION_PERIOD_MAX_DAYS,
    PAYLOAD_RETENTION_PERIOD_MAX_DAYS + 1,
  ],
  [
    "message",
    "payloadRetentionPeriod",
    PAYLOAD_RETENTION_PERIOD_MIN_DAYS,
    PAYLOAD_RETENTION_PERIOD_MIN_DAYS - 1,
  ],
  ["message", "payloadRetentionHours", 2160, 2161],
];

let appId = "";
let counter = 0;

/** POSTs a create of `resource` with `field` set, over a body that is otherwise valid. */
function create(resource: Resource, field: string, value: unknown): Promise<Response> {
  const n = counter++;
  switch (resource) {
    case "app":
      return api("POST", "/api/v1/app", { name: "limits", [field]: value });
    case "endpoint":
      return api("POST", `/api/v1/app/${appId}/endpoint`, {
        url: "https://example.com/hook",
        [field]: value,
      });
    case "event-type":
      return api("POST", "/api/v1/event-type", { name: `limits.et.${n}`, description: "d", [field]: value });
    case "message":
      return api("POST", `/api/v1/app/${appId}/msg`, {
        eventType: "limits.msg",
        payload: {},
        [field]: value,
      });
  }
}

/** Every item of a listing, page by page. */
async function countAll(path: string): Promise<number> {
  let n = 0;
  let iterator: string | null = null;
  for (;;) {
    const sep = path.includes("?") ? "&" : "?";
    const res = await api("GET", `${path}${sep}limit=250${iterator ? `&iterator=${iterator}` : ""}`);
    expect(res.status, path).toBe(200);
    const page = await json<{ data: unknown[]; iterator: string | null; done: boolean }>(res);
    n += page.data.length;
    if (page.done) return n;
    iterator = page.iterator;
  }
}

const LISTING: Record<Resource, () => string> = {
  app: () => "/api/v1/app",
  endpoint: () => `/api/v1/app/${appId}/endpoint`,
  "event-type": () => "/api/v1/event-type?include_archived=true",
  message: () => `/api/v1/app/${appId}/msg`,
};

beforeAll(async () => {
  appId = (await createApp({ name: "field limits" })).id;
  const now = Date.now();
  await env.DB.batch(
    CATALOGUE.map((name) =>
      insertEventType(env.DB, {
        name,
        description: "",
        archived: 0,
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
});

describe("field limits on create", () => {
  it.each(CASES)("%s %s: accepted at the limit, 422 past it", async (resource, field, atLimit, overLimit) => {
    const ok = await create(resource, field, atLimit);
    expect([200, 201, 202], await ok.clone().text()).toContain(ok.status);
    const before = await countAll(LISTING[resource]());
    const refused = await create(resource, field, overLimit);
    expect(refused.status).toBe(422);
    const body = await json<{ detail: { loc: unknown[]; msg: string; type: string }[] }>(refused);
    expect(body.detail[0]?.loc.slice(0, 2)).toEqual(["body", field]);
    expect(await countAll(LISTING[resource]())).toBe(before);
  });
});

describe("field limits elsewhere", () => {
  let endpointId = "";
  beforeAll(async () => {
    const res = await api("POST", `/api/v1/app/${appId}/endpoint`, { url: "https://example.com/other" });
    endpointId = (await json<{ id: string }>(res)).id;
  });

  it("refuses a secret rotation's grace period past 7 days and keeps the secret", async () => {
    const path = `/api/v1/app/${appId}/endpoint/${endpointId}/secret`;
    const rotate = (gracePeriodSeconds: number) => api("POST", `${path}/rotate`, { gracePeriodSeconds });
    expect((await rotate(GRACE_PERIOD_MAX_SECONDS)).status).toBe(204);
    const secret = await (await api("GET", path)).json();
    expect((await rotate(GRACE_PERIOD_MAX_SECONDS + 1)).status).toBe(422);
    expect(await (await api("GET", path)).json()).toEqual(secret);
  });

  it("refuses send-example's exampleIndex past its limit", async () => {
    const path = `/api/v1/app/${appId}/endpoint/${endpointId}/send-example`;
    const res = await api("POST", path, { eventType: "svix.ping", exampleIndex: EXAMPLE_INDEX_MAX + 1 });
    expect(res.status).toBe(422);
  });

  it("refuses recover times outside the range ids encode, and creates no task", async () => {
    const path = `/api/v1/app/${appId}/endpoint/${endpointId}/recover`;
    const tasks = await countAll("/api/v1/background-task");
    expect((await api("POST", path, { since: "1969-12-31T23:59:59Z" })).status).toBe(422);
    expect(
      (await api("POST", path, { since: "2020-01-01T00:00:00Z", until: "8888-01-01T00:00:00Z" })).status,
    ).toBe(422);
    expect(await countAll("/api/v1/background-task")).toBe(tasks);
    expect((await api("POST", path, { since: "1970-01-01T00:00:00Z" })).status).toBe(202);
  });

  // [path, accepted value, refused value]: query and path parameters.
  const QUERY_CASES: [string, (v: string) => string, string, string][] = [
    ["limit", (v) => `/api/v1/app?limit=${v}`, String(LIST_LIMIT_MAX), String(LIST_LIMIT_MAX + 1)],
    ["iterator", (v) => `/api/v1/event-type?iterator=${v}`, x(ITERATOR_MAX), x(ITERATOR_MAX + 1)],
    ["app_id", (v) => `/api/v1/app/${v}`, x(UID_MAX), x(UID_MAX + 1)],
    ["app_id pattern", (v) => `/api/v1/app/${v}`, "a.b-c_d", "a%20b"],
    ["endpoint_id", (v) => `/api/v1/app/${appId}/endpoint/${v}`, x(UID_MAX), x(UID_MAX + 1)],
    ["msg_id", (v) => `/api/v1/app/${appId}/msg/${v}`, x(UID_MAX), x(UID_MAX + 1)],
    ["before", (v) => `/api/v1/app/${appId}/msg?before=${v}`, "8887-12-31T23:59:59Z", "8888-01-01T00:00:00Z"],
    ["after", (v) => `/api/v1/app/${appId}/msg?after=${v}`, "1970-01-01T00:00:00Z", "1969-12-31T23:59:59Z"],
    ["tag", (v) => `/api/v1/app/${appId}/msg?tag=${v}`, x(TAG_MAX), x(TAG_MAX + 1)],
    ["channel", (v) => `/api/v1/app/${appId}/msg?channel=${v}`, x(CHANNEL_MAX), x(CHANNEL_MAX + 1)],
  ];

  it.each(QUERY_CASES)(
    "%s: not refused at the limit, 422 past it",
    async (_name, path, atLimit, overLimit) => {
      const ok = await api("GET", path(atLimit));
      expect([200, 404]).toContain(ok.status);
      expect((await api("GET", path(overLimit))).status).toBe(422);
    },
  );
});
