import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { ADMIN_TOKEN } from "../helpers";
import { drained, pack, runDeliveries, sentDeliveries, type spySendBatch } from "./consumer-helpers";
import { logStub } from "./delivery-fixtures";

// Shared by the fuzz test and the auth matrix: the served OpenAPI document as a list of
// operations, the Svix error-shape check, two-tenant fixtures and a cheap state snapshot.

export type JsonSchema = {
  type?: string | string[];
  $ref?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  format?: string;
  example?: unknown;
};
export type Parameter = { name: string; in: string; required?: boolean; schema?: JsonSchema };
type DocOperation = {
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
};
export type OpenApiDoc = {
  paths: Record<string, Record<string, DocOperation>>;
  components?: { schemas?: Record<string, JsonSchema> };
};
export interface Operation {
  /** "METHOD /path/{param}" */
  key: string;
  method: string;
  path: string;
  params: Parameter[];
  body: JsonSchema | null;
}

export const BASE = "https://edgehook.test";

/** The served document; it may be public or behind the admin token, so the token is always sent. */
export async function servedDocument(): Promise<OpenApiDoc> {
  const res = await exports.default.fetch(
    new Request(`${BASE}/api/v1/openapi.json`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }),
  );
  if (res.status !== 200) throw new Error(`openapi.json: ${res.status}`);
  return res.json();
}

/** A schema with its top-level $ref (and those of its properties, lazily) resolved. */
export function resolve(doc: OpenApiDoc, schema: JsonSchema | undefined): JsonSchema {
  let s = schema ?? {};
  for (let i = 0; s.$ref && i < 10; i++) s = doc.components?.schemas?.[s.$ref.split("/").pop() ?? ""] ?? {};
  return s;
}

export function operations(doc: OpenApiDoc): Operation[] {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const json = op.requestBody?.content?.["application/json"]?.schema;
      ops.push({
        key: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        params: (op.parameters ?? []).map((p) => ({ ...p, schema: resolve(doc, p.schema) })),
        body: json ? resolve(doc, json) : null,
      });
    }
  }
  return ops;
}

const isIssue = (i: unknown) => {
  const issue = i as { loc?: unknown; msg?: unknown; type?: unknown };
  return Array.isArray(issue?.loc) && typeof issue.msg === "string" && typeof issue.type === "string";
};

/** Why a 4xx body is not in the Svix error shape, or null when it is. */
export function errorShapeProblem(text: string): string | null {
  let body: { code?: unknown; detail?: unknown };
  try {
    body = JSON.parse(text);
  } catch {
    return `not JSON: ${text.slice(0, 120)}`;
  }
  if (typeof body?.code === "string" && typeof body.detail === "string") return null;
  if (Array.isArray(body?.detail) && body.detail.length > 0 && body.detail.every(isIssue)) return null;
  return `not {code, detail} nor {detail:[{loc,msg,type}]}: ${text.slice(0, 120)}`;
}

/** One application with an endpoint, a delivered message, an attempt and a recover task. */
export interface Tenant {
  label: string;
  marker: string;
  appId: string;
  appUid: string;
  endpointId: string;
  endpointUid: string;
  msgId: string;
  attemptId: string;
  taskId: string;
  eventId: string;
  /** Every string that identifies this tenant or its data: never in another tenant's answers. */
  tokens: string[];
}

let seq = 0;
const ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const randomAlnum = (n: number) =>
  [...crypto.getRandomValues(new Uint8Array(n))].map((b) => ALNUM[b % ALNUM.length]).join("");

export async function call(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${ADMIN_TOKEN}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  return exports.default.fetch(
    new Request(`${BASE}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
}

async function created<T>(res: Response, what: string): Promise<T> {
  if (res.status >= 300) throw new Error(`fixture ${what}: ${res.status} ${await res.text()}`);
  return res.json() as Promise<T>;
}

/** A tenant whose every name, uid, url, header, payload and secret carries its own marker. */
export async function buildTenant(
  label: string,
  eventType: string,
  send: ReturnType<typeof spySendBatch>,
): Promise<Tenant> {
  const marker = `zq${label}${seq++}${randomAlnum(6)}mk`;
  const secret = `whsec_${randomAlnum(32)}`;
  const app = await created<{ id: string }>(
    await call("POST", "/api/v1/app", {
      name: `tenant ${marker}`,
      uid: `uid-${marker}`,
      metadata: { owner: marker },
    }),
    "app",
  );
  const ep = await created<{ id: string }>(
    await call("POST", `/api/v1/app/${app.id}/endpoint`, {
      url: `https://receiver.example.com/${marker}`,
      uid: `ep-${marker}`,
      description: `endpoint ${marker}`,
      metadata: { owner: marker },
      headers: { "X-Tenant": marker },
      secret,
    }),
    "endpoint",
  );
  const msg = await created<{ id: string }>(
    await call("POST", `/api/v1/app/${app.id}/msg`, {
      eventType,
      eventId: `ev-${marker}`,
      payload: { owner: marker, nested: { list: [marker] } },
      channels: [`ch-${marker}`],
      tags: [`tag-${marker}`],
    }),
    "message",
  );
  await drained(app.id);
  const refs = sentDeliveries(send)
    .filter((d) => d.appId === app.id)
    .map(({ m, e, p, n, t }) => ({ m, e, p, n, t }));
  await runDeliveries([pack(app.id, refs)]);
  const attempts = await created<{ data: { id: string }[] }>(
    await call("GET", `/api/v1/app/${app.id}/attempt/msg/${msg.id}`),
    "attempts",
  );
  const task = await created<{ id: string }>(
    await call("POST", `/api/v1/app/${app.id}/endpoint/${ep.id}/recover`, {
      since: new Date(Date.now() - 3_600_000).toISOString(),
    }),
    "recover",
  );
  const attemptId = attempts.data[0]?.id ?? "";
  const t = {
    label,
    marker,
    appId: app.id,
    appUid: `uid-${marker}`,
    endpointId: ep.id,
    endpointUid: `ep-${marker}`,
    msgId: msg.id,
    attemptId,
    taskId: task.id,
    eventId: `ev-${marker}`,
  };
  return { ...t, tokens: [marker, secret, app.id, ep.id, msg.id, attemptId, task.id].filter(Boolean) };
}

/** Word-like runs of a text: ids, markers and secrets are each one such run. */
export const words = (text: string): Set<string> => new Set(text.match(/[A-Za-z0-9_]+/g) ?? []);

/**
 * The tokens of `others` that an answer shows although the request did not name them.
 * Markers sit inside longer runs (uid-zq…mk, /zq…mk), so they are matched as substrings of runs.
 */
export function leakedTokens(answer: string, request: string, others: Tenant[]): string[] {
  const answerWords = words(answer);
  const asked = words(request);
  const leaks: string[] = [];
  for (const tenant of others) {
    for (const token of tenant.tokens) {
      if (request.includes(token) || asked.has(token)) continue;
      if (answerWords.has(token) || answer.includes(token)) leaks.push(`${tenant.label}:${token}`);
    }
  }
  return leaks;
}

const TABLES = ["applications", "endpoints", "event_types", "background_tasks"] as const;

/** Every row of a log object's tables (messages, keys, attempts, destinations, outbox). */
const logRows = (appId: string) =>
  runInDurableObject(logStub(appId), (_log, state) => {
    const sql = state.storage.sql;
    const tables = sql
      .exec<{ name: string }>(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite%' ORDER BY name",
      )
      .toArray();
    return JSON.stringify(tables.map(({ name }) => [name, sql.exec(`SELECT * FROM "${name}"`).toArray()]));
  });

/**
 * The state a refused request must leave alone: the D1 control-plane tables and the log
 * objects (messages, attempts) of the live tenants.
 */
export async function snapshot(tenants: Tenant[]): Promise<Record<string, string>> {
  const parts: Record<string, string> = {};
  const results = await env.DB.batch(TABLES.map((t) => env.DB.prepare(`SELECT * FROM ${t} ORDER BY 1`)));

  TABLES.forEach((table, i) => {
    parts[table] = JSON.stringify(results[i]?.results);
  });
  const logs = await Promise.all(tenants.map((t) => logRows(t.appId)));
  tenants.forEach((t, i) => {
    parts[`log of ${t.label}`] = logs[i] ?? "";
  });
  return parts;
}

/**
 * Uids that an accepted write must never leave behind: shaped like an id of their kind, or
 * equal to another row's id (then a lookup by that id can reach either row).
 */
export async function idShapedUids(): Promise<string[]> {
  const { results } = await env.DB.prepare(
    `SELECT 'app ' || id || ' uid ' || uid AS row FROM applications
      WHERE uid LIKE 'app\\_%' ESCAPE '\\' OR uid IN (SELECT id FROM applications)
     UNION ALL
     SELECT 'endpoint ' || id || ' uid ' || uid FROM endpoints
      WHERE uid LIKE 'ep\\_%' ESCAPE '\\' OR uid IN (SELECT id FROM endpoints)`,
  ).all<{ row: string }>();
  return results.map((r) => r.row);
}

/** The names of the parts that differ between two snapshots. */
export const changedParts = (before: Record<string, string>, after: Record<string, string>): string[] =>
  Object.keys(before).filter((k) => before[k] !== after[k]);
