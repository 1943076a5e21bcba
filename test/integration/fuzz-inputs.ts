import fc from "fast-check";
import type { JsonSchema, Operation, Parameter, Tenant } from "./fuzz-support";

// Generators of random and hostile requests for one operation of the OpenAPI document.
// Values that name fixtures (tenant ids, uids, secrets) are symbolic (Ref) and resolved when
// the request is built, so a counterexample still means something after the fixtures change.

export type TenantField = Exclude<keyof Tenant, "tokens" | "label">;
/** The fixtures' event types: a plain one, and a strict one whose schema has a 250-value enum. */
export type EventTypeField = "eventType" | "strictEventType";
/** A fixture's value, resolved at request time: "A" is the tenant the request is about. */
export class Ref {
  constructor(
    readonly tenant: "A" | "B",
    readonly field: TenantField | EventTypeField,
  ) {}
}
/** JSON text inserted as is: deep nesting, -0, 1e309, duplicate keys. */
export class Raw {
  constructor(readonly text: string) {}
}

export type PathValue =
  | { kind: "ref"; ref: Ref }
  | { kind: "raw"; text: string }
  | { kind: "text"; text: string };
export interface RequestInput {
  params: Record<string, PathValue>;
  query: [string, unknown][];
  /** undefined: no body; Raw: the exact body text; anything else is serialized as JSON. */
  body: unknown;
  contentType: string | null;
  idempotencyKey: string | Ref | null;
}

const deep = (n: number, open = "[", close = "]") => new Raw(open.repeat(n) + close.repeat(n));
const HUGE = 100_001;
const DAY = 86_400_000;

/** Hostile JSON values for any position: wrong types, extremes, odd unicode, size, depth. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    true,
    0,
    -1,
    1.5,
    2 ** 53 + 1,
    new Raw("-0"),
    new Raw("1e308"),
    new Raw("1e309"),
    new Raw("-1e-400"),
    "NaN",
    "Infinity",
    [],
    {},
    new Raw('{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}'),
    new Raw('{"dup":1,"dup":"two"}'),
  ),
  fc.constantFrom<unknown>("", " ", "\u0000", "a\u0000b", "\ud800", "x\udfffy", "\u202e\ufeff🙂"),
  // Size and depth.
  fc.constantFrom<unknown>(
    "x".repeat(HUGE),
    "é".repeat(60_000),
    Array.from({ length: 10_000 }, (_, i) => i),
    Array.from({ length: 10_000 }, (_, i) => `item-${i}`),
    Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`k${i}`, "v"])),
    deep(1_000),
    deep(50_000),
    deep(120_000),
    new Raw(`${'{"a":'.repeat(40_000)}1${"}".repeat(40_000)}`),
  ),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.double(),
  fc
    .constantFrom<TenantField>("appId", "appUid", "endpointId", "msgId", "attemptId", "taskId", "marker")
    .chain((field) => fc.constantFrom(new Ref("A", field), new Ref("B", field))),
);

/** Whole bodies that are not the JSON object the operation expects. */
const hostileBody = fc.constantFrom<unknown>(
  new Raw(""),
  new Raw("null"),
  new Raw("[]"),
  new Raw("123"),
  new Raw('"text"'),
  new Raw("{"),
  new Raw('{"a":1,}'),
  new Raw("\ufeff{}"),
  new Raw("\u0000"),
  new Raw("undefined"),
  new Raw(`{"name":"${"y".repeat(300_000)}"}`),
  deep(120_000),
  new Raw(`${'{"a":'.repeat(50_000)}1${"}".repeat(50_000)}`),
);

const URLS = [
  "https://receiver.example.com/hook",
  "https://example.com:22/",
  "https://localhost../",
  "https://metadata.google.internal../",
  "https://127.0.0.1.nip.io/",
  "https://[::ffff:0:127.0.0.1]/",
  "http://example.com/",
  "javascript:alert(1)",
  `https://example.com/${"p".repeat(70_000)}`,
  "https://exa mple.com/",
  "https://xn--nxasmq6b.example/",
];

const SECRETS = ["whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", null];
const GOOD_URLS = ["https://receiver.example.com/hook", "https://hooks.example.org/in?x=1"];
const HEADER_NAMES = [
  "X-Custom",
  "X-Trace-Id",
  "Authorization",
  "X-Webhook-Secret",
  "Host",
  "Content-Length",
];

/** JSON Schemas for event types: valid, costly (big enum, backtracking pattern) and broken. */
const eventSchemas = fc.constantFrom<unknown>(
  { "1": { type: "object", properties: { userId: { type: "string" } }, required: ["userId"] } },
  { "1": { type: "object", properties: { kind: { enum: Array.from({ length: 250 }, (_, i) => `v${i}`) } } } },
  { "1": { type: "array", items: { enum: Array.from({ length: 250 }, (_, i) => `value-${i}`) } } },
  { "1": { type: "string", pattern: "^(a+)+$" } },
  { "1": { type: "string", pattern: "(" } },
  { "1": { type: 5, properties: [] } },
  { "1": { $ref: "#/definitions/loop", definitions: { loop: { $ref: "#/definitions/loop" } } } },
  { "1": deep(50_000, '{"items":', "}") },
);

/** A value the schema accepts, for a property named `name` (names pick realistic values). */
export function valid(schema: JsonSchema, name = "", depth = 0): fc.Arbitrary<unknown> {
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (types.includes("null") && types.length > 1) {
    const nonNull = valid({ ...schema, type: types.filter((t) => t !== "null") }, name, depth);
    return fc.oneof({ arbitrary: nonNull, weight: 4 }, fc.constant(null));
  }
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants?.length) return fc.oneof(...variants.map((v) => valid(v, name, depth)));
  if (name === "url")
    return fc.oneof({ arbitrary: fc.constantFrom(...GOOD_URLS), weight: 3 }, fc.constantFrom(...URLS));
  if (name === "headers") {
    const custom = fc.integer({ min: 0, max: 99 }).map((n) => `X-Custom-${n}`);
    const key = fc.oneof({ arbitrary: custom, weight: 4 }, fc.constantFrom(...HEADER_NAMES), fc.string());
    return fc.dictionary(key, fc.string({ maxLength: 20 }), { maxKeys: 3 });
  }
  if (name === "secret" || name === "key") {
    return fc.oneof({ arbitrary: fc.constantFrom(...SECRETS), weight: 3 }, validString(schema, name));
  }
  if (name === "eventTypes") {
    const known = fc.constant(new Ref("A", "eventType"));
    const item = fc.oneof({ arbitrary: known, weight: 3 }, fc.constantFrom("fz.unknown", "toString"));
    return fc.oneof(
      { arbitrary: fc.array(item, { minLength: 1, maxLength: 3 }), weight: 3 },
      fc.constant(null),
    );
  }
  if (name === "eventType") {
    return fc.constantFrom(new Ref("A", "eventType"), new Ref("A", "strictEventType"), "fz.unknown");
  }
  if (name === "schemas") return eventSchemas;
  if (name === "payload") return fc.jsonValue({ maxDepth: 3 }).map((v) => ({ data: v }));
  switch (types[0]) {
    case "string":
      return validString(schema, name);
    case "integer":
      return fc.integer({ min: schema.minimum ?? -1_000, max: schema.maximum ?? 1_000_000 });
    case "number":
      return fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true });
    case "boolean":
      return fc.boolean();
    case "array":
      return fc.array(valid(schema.items ?? {}, name, depth + 1), {
        minLength: schema.minItems ?? 0,
        maxLength: Math.min(schema.maxItems ?? 4, 4),
      });
    case "object":
      return validObject(schema, depth);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function validString(schema: JsonSchema, name: string): fc.Arbitrary<unknown> {
  if (schema.format === "date-time") {
    // Names pick the range the route accepts: deliverAt ahead, since behind, until after since.
    const [min, max] =
      name === "deliverAt" ? [120_000, 82_800_000] : name === "since" ? [-3 * DAY, -DAY] : [-DAY, DAY];
    return fc.integer({ min, max }).map((ms) => new Date(Date.now() + ms).toISOString());
  }
  const maxLength = Math.min(schema.maxLength ?? 40, 40);
  const minLength = schema.minLength ?? 0;
  if (schema.pattern) {
    // Uids, event ids and names may also point at the fixtures (another tenant's id included).
    const refs = fc.constantFrom(new Ref("B", "appId"), new Ref("B", "appUid"), new Ref("A", "endpointId"));
    const matching = fc
      .stringMatching(new RegExp(schema.pattern))
      .filter((s) => s.length >= minLength && s.length <= (schema.maxLength ?? 256));
    return name === "uid" || name === "eventId" ? fc.oneof(matching, refs) : matching;
  }
  return fc.string({ minLength, maxLength: Math.max(minLength, maxLength) });
}

function validObject(schema: JsonSchema, depth: number): fc.Arbitrary<unknown> {
  const props = schema.properties ?? {};
  if (Object.keys(props).length === 0) {
    const extra = typeof schema.additionalProperties === "object" ? schema.additionalProperties : {};
    const key = fc.string({ minLength: 1, maxLength: 12 }).filter((k) => k !== "__proto__");
    return fc.dictionary(key, depth > 2 ? fc.string() : valid(extra, "", depth + 1), { maxKeys: 4 });
  }
  const record: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [key, sub] of Object.entries(props)) record[key] = valid(sub, key, depth + 1);
  // Svix's one cross-field rule on message create: the two retention fields are exclusive.
  return fc.record(record, { requiredKeys: schema.required ?? [] }).map((r) => {
    if (r.payloadRetentionPeriod == null || r.payloadRetentionHours == null) return r;
    const { payloadRetentionHours: _, ...rest } = r;
    return rest;
  });
}

type Mutation = (body: Record<string, unknown>) => Record<string, unknown>;

/** One change that makes a valid body hostile: a field dropped, added, or given a bad value. */
function mutation(schema: JsonSchema): fc.Arbitrary<Mutation> {
  const keys = [...Object.keys(schema.properties ?? {}), "unknownField"];
  const drop = fc.constantFrom(...keys).map<Mutation>((k) => (b) => {
    const { [k]: _, ...rest } = b;
    return rest;
  });
  const replace = fc.tuple(fc.constantFrom(...keys), hostileValue).map<Mutation>(([k, v]) => (b) => ({
    ...b,
    [k]: v,
  }));
  // Inside a free-form object (payload, metadata, headers, schemas) a bad value passes the schema.
  const open = Object.entries(schema.properties ?? {})
    .filter(([, sub]) => !sub.properties && (sub.type === "object" || sub.type?.includes("object")))
    .map(([k]) => k);
  const nested = fc
    .tuple(fc.constantFrom(...(open.length ? open : keys)), fc.string({ maxLength: 8 }), hostileValue)
    .map<Mutation>(([k, inner, v]) => (b) => {
      const current = b[k];
      const base = current && typeof current === "object" && !Array.isArray(current) ? current : {};
      return { ...b, [k]: { ...base, [inner]: v } };
    });
  return fc.oneof({ arbitrary: replace, weight: 3 }, drop, { arbitrary: nested, weight: 3 });
}

function body(schema: JsonSchema | null): fc.Arbitrary<unknown> {
  if (!schema) return fc.oneof({ arbitrary: fc.constant(undefined), weight: 6 }, hostileBody);
  const base = valid(schema) as fc.Arbitrary<Record<string, unknown>>;
  const mutated = fc
    .tuple(base, fc.array(mutation(schema), { minLength: 1, maxLength: 3 }))
    .map(([b, ms]) => ms.reduce((acc, m) => m(acc), b));
  return fc.oneof({ arbitrary: base, weight: 3 }, { arbitrary: mutated, weight: 5 }, hostileBody);
}

/** The fixture field a path parameter names when it is used as intended. */
const NATURAL: Record<string, TenantField[]> = {
  app_id: ["appId", "appUid"],
  endpoint_id: ["endpointId", "endpointUid"],
  msg_id: ["msgId", "eventId"],
  attempt_id: ["attemptId"],
  task_id: ["taskId"],
};
const ALL_FIELDS: TenantField[] = [
  "appId",
  "appUid",
  "endpointId",
  "endpointUid",
  "msgId",
  "attemptId",
  "taskId",
];

/** Path segments sent unencoded: traversal, encoded slashes, bad escapes, odd lengths. */
const RAW_SEGMENTS = [
  "..",
  ".",
  "%2F",
  "a%2Fb",
  "%2e%2e",
  "%2e%2e%2f%2e%2e",
  "%",
  "%zz",
  "%00",
  "%C0%AE",
  "%ED%A0%80",
  "%F0%9F%99%82",
  "x".repeat(300),
  `app_${"0".repeat(22)}`,
  "app_",
  "__proto__",
  "constructor",
  "%20",
  "*",
  "-1",
];

function pathValue(param: string, tenant: "A" | "B"): fc.Arbitrary<PathValue> {
  const natural = param === "event_type_name" ? (["eventType"] as const) : (NATURAL[param] ?? ALL_FIELDS);
  const ref = (t: "A" | "B", fields: readonly (TenantField | EventTypeField)[]) =>
    fc.constantFrom(...fields).map((f): PathValue => ({ kind: "ref", ref: new Ref(t, f) }));
  return fc.oneof(
    { arbitrary: ref(tenant, natural), weight: 8 },
    { arbitrary: ref(tenant === "A" ? "B" : "A", natural), weight: 1 },
    { arbitrary: ref(tenant, ALL_FIELDS), weight: 2 },
    {
      arbitrary: fc.constantFrom(...RAW_SEGMENTS).map((text): PathValue => ({ kind: "raw", text })),
      weight: 2,
    },
    {
      arbitrary: fc
        .string({ unit: "binary", maxLength: 30 })
        .map((text): PathValue => ({ kind: "text", text })),
      weight: 1,
    },
  );
}

const hostileQuery = fc.constantFrom<unknown>(
  "",
  "-1",
  "0",
  "1e308",
  "NaN",
  "-0",
  "99999999999999999999",
  "not-a-date",
  "+275760-09-13T00:00:00.000Z",
  "x".repeat(5_000),
  "\u0000",
  "ü",
  new Ref("B", "msgId"),
  new Ref("B", "appId"),
);

function queryPairs(params: Parameter[]): fc.Arbitrary<[string, unknown][]> {
  const documented = params.filter((p) => p.in === "query");
  const one = (p: Parameter) =>
    fc
      .oneof({ arbitrary: valid(p.schema ?? {}, p.name), weight: 3 }, hostileQuery)
      .map((v): [string, unknown][] => (Array.isArray(v) ? v.map((item) => [p.name, item]) : [[p.name, v]]));
  const chosen = documented.length
    ? fc
        .subarray(documented, { maxLength: Math.min(4, documented.length) })
        .chain((ps) => fc.tuple(...ps.map(one)))
    : fc.constant([]);
  const unknown = fc.tuple(fc.constantFrom("unknown", "limit", "app_id", "__proto__"), hostileQuery);
  const extra = fc.oneof(
    { arbitrary: fc.constant<[string, unknown][]>([]), weight: 4 },
    fc.array(unknown, { minLength: 1, maxLength: 2 }),
  );
  const manyTypes = documented.some((p) => p.name === "event_types")
    ? fc.constantFrom<[string, unknown][]>(
        [],
        Array.from({ length: 150 }, (_, i) => ["event_types", `type.${i}`]),
      )
    : fc.constant<[string, unknown][]>([]);
  return fc.tuple(chosen, extra, manyTypes).map(([c, e, m]) => [...c.flat(), ...e, ...m]);
}

const contentType = fc.oneof(
  { arbitrary: fc.constant("application/json"), weight: 8 },
  fc.constantFrom(
    null,
    "",
    "text/plain",
    "application/json; charset=utf-16",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/jsonx",
  ),
);

const idempotencyKey = fc.oneof(
  { arbitrary: fc.constant(null), weight: 6 },
  fc.constantFrom("", " ", "k".repeat(10_000), "fuzz-shared-key", new Ref("B", "msgId")),
  fc.string({ minLength: 1, maxLength: 40, unit: fc.constantFrom(..."abcXYZ019-_.") }),
);

/** A random, often hostile, request for `op`, about tenant A (mostly) or B. */
export function requestInput(op: Operation): fc.Arbitrary<RequestInput> {
  const pathParams = [...op.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] ?? "");
  return fc.constantFrom<"A" | "B">("A", "A", "B").chain((tenant) =>
    fc.record({
      params: fc.record(Object.fromEntries(pathParams.map((p) => [p, pathValue(p, tenant)]))),
      query: queryPairs(op.params),
      body: body(op.body),
      contentType,
      idempotencyKey,
    }),
  );
}
