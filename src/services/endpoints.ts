import { getConfig } from "../config";
import type { ApplicationRow } from "../db/applications";
import {
  deleteEndpoint as deleteEndpointRows,
  type EndpointRow,
  type EndpointSettings,
  getEndpoint,
  insertEndpoint,
  listEndpoints,
  updateEndpointSettings,
} from "../db/endpoints";
import { findActiveEventTypeNames } from "../db/event-types";
import { resetHealth } from "../endpoint-state/client";
import { conflict, invalid, notFound } from "../errors";
import { newId } from "../lib/ids";
import { isUniqueViolation } from "../lib/json";
import type { PageRequest } from "../lib/pagination";
import { allShards, configChanged } from "../log/client";
import { emitOperational, endpointEvent } from "../operational/events";
import { encryptJson, endpointField, type SigningKeys } from "../security/secrets";
import { checkDestinationUrl } from "../security/url-guard";
import { retryOnConflict } from "./compare-and-set";
import {
  checkHeaderCount,
  chooseSigningSecret,
  type Headers,
  type SignatureScheme,
  validateHeaders,
} from "./endpoint-input-rules";
import { checkUidShape } from "./uid-rules";

export interface EndpointInput {
  url: string;
  description?: string;
  throttleRate?: number | null;
  uid?: string | null;
  disabled?: boolean;
  eventTypes?: string[] | null;
  channels?: string[] | null;
  metadata?: Record<string, string>;
  /** Edgehook: deliveries go through the egress relays (EGRESS_RELAY_MODE=opt-in). */
  egressRelay?: boolean;
  /** Edgehook: the mTLS certificate binding deliveries present; null clears, omitted keeps. */
  mtlsCertificate?: string | null;
}

export interface EndpointCreateInput extends EndpointInput {
  secret?: string | null;
  /** Edgehook: the scheme of a generated key (v1a: Ed25519), when `secret` is omitted. */
  signatureScheme?: SignatureScheme | null;
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

/** An endpoint may name only a certificate binding the operator declared (MTLS_CERTIFICATES). */
function checkMtlsCertificate(env: Env, name: string | null | undefined): void {
  if (!name || getConfig(env).mtlsCertificates.includes(name)) return;
  throw invalid(
    ["body", "mtlsCertificate"],
    `Unknown mTLS certificate "${name}": not declared by the operator`,
  );
}

const MAX_NAMED = 10;

/** Svix refuses filters naming event types that do not exist (archived ones count as gone). */
async function checkEventTypes(db: D1Database, names: string[] | null | undefined): Promise<void> {
  if (!names?.length) return;
  const found = await findActiveEventTypeNames(db, names);
  const missing = names.filter((n) => !found.has(n));
  if (!missing.length) return;
  // A bounded answer: up to 1000 names of 256 characters could otherwise make it 256 KB.
  const named = missing.slice(0, MAX_NAMED).join(", ");
  const more = missing.length > MAX_NAMED ? ` and ${missing.length - MAX_NAMED} more` : "";
  throw invalid(["body", "eventTypes"], `Unknown event types: ${named}${more}`);
}

/** The egress_relay column a request writes; undefined (not named) leaves it as it is. */
const egressRelayColumn = (value: boolean | undefined) => (value === undefined ? undefined : value ? 1 : 0);

const jsonList = (list: string[] | null | undefined) => (list?.length ? JSON.stringify(list) : null);

/**
 * The disabled columns a request naming `disabled` writes. Enabling a disabled endpoint starts
 * its health over (the old failure streak is forgiven); enabling an enabled one leaves its
 * failing_since, which the delivery path keeps.
 */
function disabledSettings(existing: EndpointRow, disabled: boolean): EndpointSettings {
  if (disabled) return { disabled: 1 };
  if (existing.disabled) return { disabled: 0, disabled_reason: null, failing_since: null };
  return { disabled: 0, disabled_reason: null };
}

/**
 * Writes the settings a PUT or PATCH changes and answers the row as committed. Only the columns
 * the request names are written: never the secrets or headers, and the disabled columns only when
 * it names `disabled`, as a compare-and-set on the flag they were computed from (a delivery may
 * disable the endpoint meanwhile). Re-enabling makes the endpoint's Durable Object forget the
 * failure streak first: if that call fails nothing is written (a retry of the request redoes
 * both), and a reset object behind a still-disabled endpoint is harmless.
 */
function saveSettings(
  { env, app, idOrUid }: EndpointTarget,
  settingsOf: (existing: EndpointRow) => EndpointSettings,
): Promise<EndpointRow> {
  return retryOnConflict("The endpoint", async () => {
    const existing = await requireEndpoint(env.DB, app.id, idOrUid);
    const settings = settingsOf(existing);
    if (existing.disabled && settings.disabled === 0) await resetHealth(env, existing.id);
    const guard = settings.disabled === undefined ? {} : { whileDisabled: existing.disabled };
    const stmt = updateEndpointSettings(env.DB, app.id, existing.id, settings, { now: Date.now(), ...guard });
    return write(stmt, settings.uid === undefined ? existing.uid : settings.uid);
  });
}

/** Runs an endpoint write; a uid taken by another endpoint of the application is a 409. */
async function write(stmt: D1PreparedStatement, uid: string | null): Promise<EndpointRow | null> {
  try {
    return await stmt.first<EndpointRow>();
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
  checkUidShape(input.uid, ["body", "uid"]);
  checkUrl(env, input.url);
  checkMtlsCertificate(env, input.mtlsCertificate);
  if (input.headers) {
    validateHeaders(input.headers, ["body", "headers"]);
    checkHeaderCount(input.headers, ["body", "headers"]);
  }
  const secret = await chooseSigningSecret(
    { secret: input.secret, scheme: input.signatureScheme },
    { secret: ["body", "secret"], scheme: ["body", "signatureScheme"] },
    "v1",
  );
  await checkEventTypes(env.DB, input.eventTypes);

  const now = Date.now();
  const keys: SigningKeys = { current: secret, previous: [] };
  const id = newId("ep", now);
  const endpoint: EndpointRow = {
    app_id: app.id,
    id,
    uid: input.uid ?? null,
    url: input.url,
    description: input.description ?? "",
    event_types: jsonList(input.eventTypes),
    channels: jsonList(input.channels),
    throttle_rate: input.throttleRate ?? null,
    disabled: input.disabled ? 1 : 0,
    disabled_reason: null,
    metadata: JSON.stringify(input.metadata ?? {}),
    secrets: await encryptJson(env, endpointField(id, "secrets"), keys),
    headers:
      input.headers && Object.keys(input.headers).length
        ? await encryptJson(env, endpointField(id, "headers"), input.headers)
        : null,
    failing_since: null,
    egress_relay: input.egressRelay ? 1 : 0,
    created_at: now,
    updated_at: now,
    mtls_certificate: input.mtlsCertificate ?? null,
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
  checkUidShape(input.uid, ["body", "uid"]);
  checkUrl(env, input.url);
  checkMtlsCertificate(env, input.mtlsCertificate);
  await checkEventTypes(env.DB, input.eventTypes);
  // Svix's disabled defaults to false: a PUT without it enables the endpoint. egressRelay is
  // Edgehook's: a Svix client's PUT does not know it, so leaving it out keeps it.
  const endpoint = await saveSettings({ env, app, idOrUid }, (current) => ({
    ...disabledSettings(current, input.disabled ?? false),
    uid: input.uid ?? null,
    url: input.url,
    description: input.description ?? "",
    event_types: jsonList(input.eventTypes),
    channels: jsonList(input.channels),
    throttle_rate: input.throttleRate ?? null,
    metadata: JSON.stringify(input.metadata ?? {}),
    egress_relay: egressRelayColumn(input.egressRelay),
    // Not a Svix field: a Svix client's PUT omits it, and must not drop the certificate.
    mtls_certificate: input.mtlsCertificate,
  }));
  await onEndpointChanged(env, "endpoint.updated", app, endpoint);
  return { endpoint, created: false };
}

/** PATCH: writes the fields given, and only those (see saveSettings). */
export async function patchEndpoint({
  env,
  app,
  idOrUid,
  input,
}: EndpointTarget & { input: EndpointPatchInput }): Promise<EndpointRow> {
  checkUidShape(input.uid, ["body", "uid"]);
  if (input.url !== undefined) checkUrl(env, input.url);
  checkMtlsCertificate(env, input.mtlsCertificate);
  await checkEventTypes(env.DB, input.eventTypes);
  const endpoint = await saveSettings({ env, app, idOrUid }, (current) => ({
    ...(input.disabled === undefined ? {} : disabledSettings(current, input.disabled)),
    uid: input.uid,
    url: input.url,
    description: input.description,
    event_types: input.eventTypes === undefined ? undefined : jsonList(input.eventTypes),
    channels: input.channels === undefined ? undefined : jsonList(input.channels),
    // 0 clears the limit, as for applications.
    throttle_rate: input.throttleRate === undefined ? undefined : input.throttleRate || null,
    metadata: input.metadata === undefined ? undefined : JSON.stringify(input.metadata),
    egress_relay: egressRelayColumn(input.egressRelay),
    mtls_certificate: input.mtlsCertificate,
  }));
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
