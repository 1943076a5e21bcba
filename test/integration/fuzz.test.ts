import { env, exports } from "cloudflare:workers";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ADMIN_TOKEN } from "../helpers";
import { mockReceiver, spySendBatch } from "./consumer-helpers";
import { type PathValue, Raw, Ref, type RequestInput, requestInput } from "./fuzz-inputs";
import {
  BASE,
  buildTenant,
  call,
  changedParts,
  errorShapeProblem,
  idShapedUids,
  leakedTokens,
  type Operation,
  operations,
  servedDocument,
  snapshot,
  type Tenant,
} from "./fuzz-support";

// Property-based fuzzing of every operation the served OpenAPI document lists, with random
// and hostile paths, queries, headers and bodies, against two tenants' fixtures. For every
// request: never a 5xx; a 4xx is in the Svix error shape, short, and changes nothing; an
// accepted write leaves no id-shaped uid; nothing of another tenant is returned.
// FUZZ_RUNS (runs per operation) and FUZZ_SEED come from vitest.config.ts; see README.

const settings = env as unknown as { FUZZ_RUNS?: string; FUZZ_SEED?: string };
const RUNS = Number.parseInt(settings.FUZZ_RUNS ?? "", 10) || 15;
const SEED = Number.parseInt(settings.FUZZ_SEED ?? "", 10) || 42;
const MAX_REFUSAL_BYTES = 100_000;

const OPERATIONS = operations(await servedDocument());

/** Every payload value must be a list of known values: one failing item per entry of a large list. */
const STRICT_SCHEMAS = {
  "1": {
    type: "object",
    additionalProperties: { type: "array", items: { enum: Array.from({ length: 250 }, (_, i) => `v${i}`) } },
  },
};

/** The fixtures: tenants A and B (rebuilt after a request may have changed them) and all past ones. */
class World {
  all: Tenant[] = [];
  live: { A: Tenant; B: Tenant } | null = null;
  eventType = "";
  strictEventType = "";
  /** The snapshot taken after the previous run, when nothing can have changed since. */
  lastState: Record<string, string> | null = null;
  /**
   * Another tenant's tokens an accepted request wrote into a tenant (a payload naming B's id,
   * sent to A): A may answer them later, e.g. when a repeated idempotency key returns the
   * original message. That is the sender's own data, not a leak.
   */
  planted = new Set<string>();
  private builds = 0;
  constructor(public send: ReturnType<typeof spySendBatch> | null = null) {}

  /** Keeps the fixtures of the previous test when they are still there (storage may be per test). */
  async recheck(): Promise<void> {
    this.lastState = null;
    if (!this.live) return;
    const { A, B } = this.live;
    for (const t of [A, B]) {
      if ((await call("GET", `/api/v1/app/${t.appId}/endpoint/${t.endpointId}`)).status !== 200)
        this.live = null;
    }
  }

  async fresh(): Promise<{ A: Tenant; B: Tenant }> {
    if (this.live) return this.live;
    this.lastState = null;
    this.eventType = `fz.type-${this.builds++}-${Date.now().toString(36)}`;
    this.strictEventType = `${this.eventType}-strict`;
    for (const [name, schemas] of [
      [this.eventType, null],
      [this.strictEventType, STRICT_SCHEMAS],
    ] as const) {
      const res = await call("POST", "/api/v1/event-type", { name, description: "fuzz", schemas });
      if (res.status !== 201) throw new Error(`fixture event type: ${res.status} ${await res.text()}`);
    }
    if (!this.send) throw new Error("World.send: spy on the queue first");
    const [A, B] = await Promise.all([
      buildTenant("A", this.eventType, this.send),
      buildTenant("B", this.eventType, this.send),
    ]);
    this.all.push(A, B);
    this.live = { A, B };
    return this.live;
  }

  resolve(ref: Ref): string {
    if (ref.field === "eventType") return this.eventType;
    if (ref.field === "strictEventType") return this.strictEventType;
    return this.live?.[ref.tenant][ref.field] ?? "";
  }
}

/** JSON text of a generated value: Raw is inserted as is, Ref becomes the fixture's value. */
function jsonText(value: unknown, world: World): string {
  if (value instanceof Raw) return value.text;
  if (value instanceof Ref) return JSON.stringify(world.resolve(value));
  if (Array.isArray(value)) return `[${value.map((v) => jsonText(v, world)).join(",")}]`;
  if (value && typeof value === "object") {
    const fields = Object.entries(value).filter(([, v]) => v !== undefined);
    return `{${fields.map(([k, v]) => `${JSON.stringify(k)}:${jsonText(v, world)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

const wellFormed = (s: string) => s.toWellFormed();

function segment(value: PathValue, world: World): string {
  if (value.kind === "raw") return value.text;
  return encodeURIComponent(wellFormed(value.kind === "ref" ? world.resolve(value.ref) : value.text));
}

function queryText(value: unknown, world: World): string {
  if (value instanceof Ref) return world.resolve(value);
  if (typeof value === "string") return wellFormed(value);
  return wellFormed(jsonText(value, world));
}

interface Built {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
  /** The app the path names, resolved (undefined when the route has none). */
  appId: string | undefined;
}

function build(op: Operation, input: RequestInput, world: World): Built {
  const path = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = input.params[name];
    return value ? segment(value, world) : "x";
  });
  const query = new URLSearchParams(input.query.map(([k, v]) => [k, queryText(v, world)]));
  const headers: Record<string, string> = { authorization: `Bearer ${ADMIN_TOKEN}` };
  const hasBody = input.body !== undefined && op.method !== "GET" && op.method !== "HEAD";
  if (hasBody && input.contentType !== null) headers["content-type"] = input.contentType;
  const key = input.idempotencyKey;
  if (key !== null) headers["idempotency-key"] = key instanceof Ref ? world.resolve(key) : key;
  const appParam = input.params.app_id;
  return {
    method: op.method,
    url: `${BASE}${path}${query.size ? `?${query}` : ""}`,
    headers,
    body: hasBody ? jsonText(input.body, world) : undefined,
    appId: appParam?.kind === "ref" ? world.resolve(appParam.ref) : appParam ? path : undefined,
  };
}

const cut = (s: string, n = 300) => (s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s);

function describeRequest(req: Built): string {
  const { authorization: _, ...shown } = req.headers;
  const body = req.body === undefined ? "" : `\n  body: ${cut(req.body)}`;
  return `${req.method} ${cut(req.url)}\n  headers: ${cut(JSON.stringify(shown))}${body}`;
}

/** Sends one generated request and returns every rule it broke. */
async function exercise(op: Operation, input: RequestInput, world: World): Promise<string[]> {
  world.send?.mockClear();
  const live = await world.fresh();
  const req = build(op, input, world);
  const before = world.lastState ?? (await snapshot([live.A, live.B]));
  world.lastState = null;
  const badBefore = new Set(op.method === "GET" ? [] : await idShapedUids());
  const res = await exports.default.fetch(
    new Request(req.url, { method: req.method, headers: req.headers, body: req.body }),
  );
  const text = await res.text();
  const problems: string[] = [];
  if (res.status >= 500) problems.push(`answered ${res.status}: ${cut(text, 200)}`);
  if (res.status >= 400 && res.status < 500) {
    const shape = errorShapeProblem(text);
    if (shape) problems.push(`${res.status} ${shape}`);
    if (text.length > MAX_REFUSAL_BYTES) problems.push(`a ${res.status} of ${text.length} bytes`);
    const after = await snapshot([live.A, live.B]);
    const changed = changedParts(before, after);
    // The state after a refusal is the next run's state before (unless the fixtures are rebuilt).
    world.lastState = after;
    if (changed.length) problems.push(`refused with ${res.status} but changed: ${changed.join(", ")}`);
  }
  if (res.status < 300 && op.method !== "GET") {
    const bad = (await idShapedUids()).filter((row) => !badBefore.has(row));
    if (bad.length) problems.push(`accepted (${res.status}) and left id-shaped uids: ${bad.join("; ")}`);
  }
  if (req.appId !== undefined) {
    const scope = world.all.find((t) => t.appId === req.appId || t.appUid === req.appId);
    const others = world.all.filter((t) => t !== scope);
    const asked = `${req.url} ${req.body ?? ""} ${Object.values(req.headers).join(" ")}`;
    const leaks = leakedTokens(text, `${asked} ${[...world.planted].join(" ")}`, others);
    if (res.status < 300 && op.method !== "GET") {
      for (const token of others.flatMap((t) => t.tokens))
        if (asked.includes(token)) world.planted.add(token);
    }
    if (leaks.length) problems.push(`answered ${res.status} with other tenants' data: ${leaks.join(", ")}`);
  }
  // After a change or removal that may have reached the tenants, or a failure, the next run
  // starts from fresh ones (creates leave them intact; the event type is only a name to them).
  const changedTenant = ["PUT", "PATCH", "DELETE"].includes(op.method) && op.path.includes("{app_id}");
  if (res.status >= 500 || (res.status < 300 && changedTenant)) world.live = null;
  return problems.length ? [describeRequest(req), ...problems] : [];
}

const world = new World();

describe("fuzz: every operation of the served OpenAPI document", () => {
  // Held for the whole file: deliveries stay queued (sendBatch is spied, so no consumer changes
  // a log while a run compares it) and anything that still fetches gets a fresh 200.
  beforeAll(() => {
    world.send = spySendBatch();
    mockReceiver((req) => new Response(`received ${new URL(req.url).pathname}`, { status: 200 }));
  });
  afterAll(() => {
    vi.restoreAllMocks();
  });

  it("walks a document with the whole API in it", () => {
    expect(OPERATIONS.length).toBeGreaterThan(30);
  });

  for (const op of OPERATIONS) {
    it(op.key, { timeout: 60_000 + RUNS * 400 }, async () => {
      await world.recheck();
      const details = await fc.check(
        fc.asyncProperty(requestInput(op), async (input) => {
          const problems = await exercise(op, input, world);
          if (problems.length) throw new Error(problems.join("\n  "));
        }),
        { seed: SEED, numRuns: RUNS, interruptAfterTimeLimit: 30_000 + RUNS * 300 },
      );
      const finding = details.failed
        ? `${details.errorInstance instanceof Error ? details.errorInstance.message : details.errorInstance}\n` +
          `  (seed ${SEED}, path "${details.counterexamplePath}", after ${details.numRuns} runs, ${details.numShrinks} shrinks)`
        : null;
      expect(finding).toBeNull();
    });
  }
});

// The rules above are only as good as their checks: each must be able to fail.
describe("fuzz checks", () => {
  const other = {
    label: "B",
    tokens: ["zqB1abcdefmk", "app_0VceB0000000000000000000", "whsec_abc"],
  } as Tenant;

  it("flag another tenant's token that the request did not name", () => {
    expect(leakedTokens('{"name":"tenant zqB1abcdefmk"}', "GET /api/v1/app/x", [other])).toEqual([
      "B:zqB1abcdefmk",
    ]);
    expect(leakedTokens('{"key":"whsec_abc"}', "GET /x", [other])).toEqual(["B:whsec_abc"]);
    const named = `PATCH /api/v1/app/x {"uid":"app_0VceB0000000000000000000"}`;
    expect(leakedTokens('{"uid":"app_0VceB0000000000000000000"}', named, [other])).toEqual([]);
  });

  it("accept Svix's two error shapes and nothing else", () => {
    expect(errorShapeProblem('{"code":"not_found","detail":"Application not found"}')).toBeNull();
    expect(
      errorShapeProblem('{"detail":[{"loc":["body","url"],"msg":"bad","type":"value_error"}]}'),
    ).toBeNull();
    const bad = [
      "Not Found",
      '{"error":"x"}',
      '{"detail":[]}',
      '{"code":1,"detail":"x"}',
      '{"detail":[{"msg":"m"}]}',
    ];
    for (const text of bad) expect(errorShapeProblem(text), text).not.toBeNull();
  });

  it("see a change in a snapshot", async () => {
    const before = await snapshot([]);
    await call("POST", "/api/v1/event-type", { name: `fz.check-${Date.now()}`, description: "d" });
    expect(changedParts(before, await snapshot([]))).toEqual(["event_types"]);
  });
});
