import { getConfig } from "../config";
import type { ApplicationRow } from "../db/applications";
import {
  deleteEndpoint as deleteEndpointRows,
  type EndpointRow,
  getEndpoint,
  insertEndpoint,
  listEndpoints,
  updateEndpoint as updateEndpointRow,
} from "../db/endpoints";
import { findActiveEventTypeNames } from "../db/event-types";
import { resetHealth } from "../endpoint-state/client";
import { conflict, invalid, notFound } from "../errors";
import { newId } from "../lib/ids";
import { isUniqueViolation } from "../lib/json";
import type { PageRequest } from "../lib/pagination";
import { allShards, configChanged } from "../log/client";
import { emitOperational, endpointEvent } from "../operational/events";
import { encryptJson, generateSigningSecret, type SigningKeys } from "../security/secrets";
import { checkDestinationUrl } from "../security/url-guard";
import { checkHeaderCount, type Headers, normalizeSecret, validateHeaders } from "./endpoint-input-rules";

export interface EndpointInput {
  url: string;
  description?: string;
  throttleRate?: number | null;
  uid?: string | null;
  disabled?: boolean;
  eventTypes?: string[] | null;
  channels?: string[] | null;
  metadata?: Record<string, string>;
}

export interface EndpointCreateInput extends EndpointInput {
  secret?: string | null;
  headers?: Headers | null;
}

export type EndpointPatchInput = Partial<EndpointInput>;

/** The endpoint a verb acts on: named by id or uid within `app`. */
export interface EndpointTarget {
  env: Env;
  app: ApplicationRow;
  idOrUid: string;
}

type EndpointChange = "endpoint.created" | "endpoint.updated" | "endpoint.deleted";

/**
 * Every endpoint verb calls this once, after its change is committed to D1: the application's
 * log objects read the endpoints again before the verb answers (so the next message fans out
 * by the change), then the operational webhook is emitted (emitOperational never throws).
 */
async function onEndpointChanged(
  env: Env,
  change: EndpointChange,
  app: ApplicationRow,
  endpoint: EndpointRow,
): Promise<void> {
  if (change !== "endpoint.deleted") await configChanged(env, app.id);
  await emitOperational(env, [endpointEvent(change, app, endpoint)]);
}

/** A page of an application's endpoints (Svix pagination). */
export const listEndpointPage = (db: D1Database, appId: string, page: PageRequest) =>
  listEndpoints(db, appId, page);

/** The endpoint of `app` named by id or uid, or a 404 (another application's ids read as unknown). */
export async function requireEndpoint(db: D1Database, appId: string, idOrUid: string): Promise<EndpointRow> {
  const endpoint = await getEndpoint(db, appId, idOrUid);
  if (!endpoint) throw notFound("Endpoint");
  return endpoint;
}

function checkUrl(env: Env, url: string): void {
  const result = checkDestinationUrl(url, getConfig(env));
  if (!result.ok) throw invalid(["body", "url"], `Invalid endpoint URL: ${result.reason}`);
}

/** Svix refuses filters naming event types that do not exist (archived ones count as gone). */
async function checkEventTypes(db: D1Database, names: string[] | null | undefined): Promise<void> {
  if (!names?.length) return;
  const found = await findActiveEventTypeNames(db, names);
  const missing = names.filter((n) => !found.has(n));
  if (missing.length) throw invalid(["body", "eventTypes"], `Unknown event types: ${missing.join(", ")}`);
}

const jsonList = (list: string[] | null | undefined) => (list?.length ? JSON.stringify(list) : null);

/** Enabling a disabled endpoint starts its health over: the old failure streak is forgiven. */
function disabledState(existing: EndpointRow, disabled: boolean) {
  if (disabled)
    return { disabled: 1, disabled_reason: existing.disabled_reason, failing_since: existing.failing_since };
  if (existing.disabled) return { disabled: 0, disabled_reason: null, failing_since: null };
  return { disabled: 0, disabled_reason: null, failing_since: existing.failing_since };
}

/**
 * Writes the changed endpoint. When the change re-enables it, its Durable Object forgets the
 * failure streak first: if that call fails nothing is written (a retry of the request redoes
 * both), and a reset object behind a still-disabled endpoint is harmless.
 */
async function save(env: Env, existing: EndpointRow, endpoint: EndpointRow): Promise<void> {
  if (existing.disabled && !endpoint.disabled) await resetHealth(env, endpoint.id);
  await write(updateEndpointRow(env.DB, endpoint), endpoint.uid);
}

async function write(stmt: D1PreparedStatement, uid: string | null): Promise<void> {
  try {
    await stmt.run();
  } catch (err) {
    if (isUniqueViolation(err))
      throw conflict(`An endpoint with uid "${uid}" already exists in this application`);
    throw err;
  }
}

export async function createEndpoint({
  env,
  app,
  input,
}: {
  env: Env;
  app: ApplicationRow;
  input: EndpointCreateInput;
}): Promise<EndpointRow> {
  checkUrl(env, input.url);
  if (input.headers) {
    validateHeaders(input.headers, ["body", "headers"]);
    checkHeaderCount(input.headers, ["body", "headers"]);
  }
  const secret = input.secret ? normalizeSecret(input.secret, ["body", "secret"]) : generateSigningSecret();
  await checkEventTypes(env.DB, input.eventTypes);

  const now = Date.now();
  const keys: SigningKeys = { current: secret, previous: [] };
  const endpoint: EndpointRow = {
    app_id: app.id,
    id: newId("ep", now),
    uid: input.uid ?? null,
    url: input.url,
    description: input.description ?? "",
    event_types: jsonList(input.eventTypes),
    channels: jsonList(input.channels),
    throttle_rate: input.throttleRate ?? null,
    disabled: input.disabled ? 1 : 0,
    disabled_reason: null,
    metadata: JSON.stringify(input.metadata ?? {}),
    secrets: await encryptJson(env.ENCRYPTION_KEY, keys),
    headers:
      input.headers && Object.keys(input.headers).length
        ? await encryptJson(env.ENCRYPTION_KEY, input.headers)
        : null,
    failing_since: null,
    created_at: now,
    updated_at: now,
  };
  await write(insertEndpoint(env.DB, endpoint), endpoint.uid);
  await onEndpointChanged(env, "endpoint.created", app, endpoint);
  return endpoint;
}

/** PUT: replaces the endpoint's settings (secret and headers are kept); an unknown uid creates it. */
export async function updateEndpoint({
  env,
  app,
  idOrUid,
  input,
}: EndpointTarget & { input: EndpointInput }): Promise<{ endpoint: EndpointRow; created: boolean }> {
  const existing = await getEndpoint(env.DB, app.id, idOrUid);
  if (!existing) {
    // Svix's update upserts: PUT on an unknown uid creates the endpoint with that uid.
    if (idOrUid.startsWith("ep_")) throw notFound("Endpoint");
    const endpoint = await createEndpoint({ env, app, input: { ...input, uid: input.uid ?? idOrUid } });
    return { endpoint, created: true };
  }
  checkUrl(env, input.url);
  await checkEventTypes(env.DB, input.eventTypes);
  const endpoint: EndpointRow = {
    ...existing,
    ...disabledState(existing, input.disabled ?? false),
    uid: input.uid ?? null,
    url: input.url,
    description: input.description ?? "",
    event_types: jsonList(input.eventTypes),
    channels: jsonList(input.channels),
    throttle_rate: input.throttleRate ?? null,
    metadata: JSON.stringify(input.metadata ?? {}),
    updated_at: Date.now(),
  };
  await save(env, existing, endpoint);
  await onEndpointChanged(env, "endpoint.updated", app, endpoint);
  return { endpoint, created: false };
}

export async function patchEndpoint({
  env,
  app,
  idOrUid,
  input,
}: EndpointTarget & { input: EndpointPatchInput }): Promise<EndpointRow> {
  const existing = await requireEndpoint(env.DB, app.id, idOrUid);
  if (input.url !== undefined) checkUrl(env, input.url);
  await checkEventTypes(env.DB, input.eventTypes);
  const endpoint: EndpointRow = {
    ...existing,
    ...(input.disabled === undefined ? {} : disabledState(existing, input.disabled)),
    uid: input.uid === undefined ? existing.uid : input.uid,
    url: input.url ?? existing.url,
    description: input.description ?? existing.description,
    event_types: input.eventTypes === undefined ? existing.event_types : jsonList(input.eventTypes),
    channels: input.channels === undefined ? existing.channels : jsonList(input.channels),
    // 0 clears the limit, as for applications.
    throttle_rate: input.throttleRate === undefined ? existing.throttle_rate : input.throttleRate || null,
    metadata: input.metadata === undefined ? existing.metadata : JSON.stringify(input.metadata),
    updated_at: Date.now(),
  };
  await save(env, existing, endpoint);
  await onEndpointChanged(env, "endpoint.updated", app, endpoint);
  return endpoint;
}

/**
 * Deletes the endpoint: one D1 statement, then each log object forgets it at once for fan-out
 * and delivery and deletes its attempts in the background, in bounded steps.
 */
export async function deleteEndpoint({ env, app, idOrUid }: EndpointTarget): Promise<void> {
  const endpoint = await requireEndpoint(env.DB, app.id, idOrUid);
  await deleteEndpointRows(env.DB, app.id, endpoint.id).run();
  await Promise.all(allShards(env, app.id).map((l) => l.stub.forgetEndpoint(l.ident, endpoint.id)));
  await onEndpointChanged(env, "endpoint.deleted", app, endpoint);
}
