import { getConfig } from "../config";
import type { ApplicationRow } from "../db/applications";
import { enabledEndpointFilters, eventTypeSchemas, type FanoutEndpoint } from "../db/delivery-reads";
import { fastIngestStatements } from "../db/message-ingest";
import {
  deleteStaleKey,
  findMessageKey,
  IDEMPOTENCY_WINDOW_MS,
  insertMessageKey,
  type KeyKind,
} from "../db/message-keys";
import { getMessage, getMessageByIdOrEventId, insertMessage, type MessageRow } from "../db/messages";
import { byteLength, enqueueJobs, INLINE_PAYLOAD_BYTES } from "../delivery/enqueue";
import { type DeliveryJob, firstAttemptJob } from "../delivery/jobs";
import { ApiError, notFound, ValidationFailure } from "../errors";
import { newId } from "../lib/ids";
import { isUniqueViolation, parseJson } from "../lib/json";
import { type ApplicationInput, createApplication, requireApplication } from "./applications";
import { latestSchema, validateJsonSchema } from "./json-schema";

export interface MessageInput {
  eventType: string;
  payload: Record<string, unknown>;
  eventId?: string | null;
  channels?: string[] | null;
  tags?: string[] | null;
  payloadRetentionPeriod?: number | null;
  application?: ApplicationInput | null;
}

const DAY_MS = 86_400_000;
const DEFAULT_RETENTION_DAYS = 90;

/** When a message's payload is purged (MessageIn.payloadRetentionPeriod, in days). */
export const payloadExpiry = (now: number, retentionDays?: number | null) =>
  now + (retentionDays ?? DEFAULT_RETENTION_DAYS) * DAY_MS;

/** The message of the application named by id or eventId, or a 404. */
export async function requireMessage(
  db: D1Database,
  appId: string,
  idOrEventId: string,
): Promise<MessageRow> {
  const message = await getMessageByIdOrEventId(db, appId, idOrEventId);
  if (!message) throw notFound("Message");
  return message;
}

/** Whether an endpoint's filters select a message of this type and channels. */
export function endpointMatches(
  ep: FanoutEndpoint,
  eventType: string,
  channels: readonly string[] | null,
): boolean {
  const types = parseJson<string[] | null>(ep.event_types, null);
  if (types && types.length > 0 && !types.includes(eventType)) return false;
  const epChannels = parseJson<string[] | null>(ep.channels, null);
  if (epChannels && epChannels.length > 0) {
    // An endpoint listening on channels only receives messages sent on one of them.
    if (!channels?.some((c) => epChannels.includes(c))) return false;
  }
  return true;
}

async function resolveApplication(
  db: D1Database,
  idOrUid: string,
  input: MessageInput,
): Promise<ApplicationRow> {
  try {
    return await requireApplication(db, idOrUid);
  } catch (err) {
    // MessageIn.application creates the application on first use (Svix semantics).
    if (!(err instanceof ApiError) || err.status !== 404 || !input.application) throw err;
    const uid = input.application.uid ?? (idOrUid.startsWith("app_") ? null : idOrUid);
    return (await createApplication({ db, input: { ...input.application, uid }, getIfExists: true })).app;
  }
}

/** The delivery jobs of a message for the given endpoints. */
export function deliveryJobs(
  message: MessageRow,
  endpointIds: readonly string[],
  trigger: 0 | 1,
): DeliveryJob[] {
  const inline =
    message.payload !== null && byteLength(message.payload) <= INLINE_PAYLOAD_BYTES ? message.payload : null;
  return endpointIds.map((endpointId) =>
    firstAttemptJob(
      { appId: message.app_id, msgId: message.id, endpointId, eventId: message.event_id, payload: inline },
      trigger,
    ),
  );
}

/** Enqueues the deliveries; a failure is logged, not thrown: the data is committed and the sweeper re-enqueues. */
export async function enqueueDeliveries(env: Env, jobs: DeliveryJob[]): Promise<void> {
  const failed = await enqueueJobs(
    env.DELIVERIES,
    jobs.map((job) => ({ job })),
  );
  if (failed.length > 0)
    console.error("enqueue after commit failed; the sweeper will re-enqueue", failed.length);
}

/**
 * Creates a message: validates it, fans it out to the matching endpoints, commits the message
 * with its deliveries (the `destinations` column) in one D1 batch, then enqueues. A repeated
 * idempotency key or eventId within 24 h returns the original message and creates nothing.
 */
export async function createMessage({
  env,
  appIdOrUid,
  input,
  idempotencyKey,
}: {
  env: Env;
  appIdOrUid: string;
  input: MessageInput;
  idempotencyKey: string | null;
}): Promise<{ message: MessageRow; created: boolean }> {
  const config = getConfig(env);
  const payload = JSON.stringify(input.payload);
  if (byteLength(payload) > config.maxPayloadBytes) {
    throw new ApiError(413, "payload_too_large", `The payload exceeds ${config.maxPayloadBytes} bytes`);
  }
  const now = Date.now();
  const keys: MessageKey[] = [];
  if (idempotencyKey) keys.push({ kind: "k", key: idempotencyKey });
  if (input.eventId) keys.push({ kind: "e", key: input.eventId });
  const channels = input.channels?.length ? input.channels : null;
  const draft: DraftMessage = {
    event_type: input.eventType,
    event_id: input.eventId ?? null,
    channels: channels ? JSON.stringify(channels) : null,
    tags: input.tags?.length ? JSON.stringify(input.tags) : null,
    payload,
    expires_at: payloadExpiry(now, input.payloadRetentionPeriod),
    created_at: now,
  };

  const result =
    (!input.application && keys.length <= 1
      ? await insertInOneRoundTrip(env.DB, appIdOrUid, draft, keys[0] ?? null)
      : null) ?? (await insertAfterChecks(env.DB, appIdOrUid, input, draft, keys));
  if (result.created) {
    const destinations = parseJson<string[]>(result.message.destinations, []);
    if (destinations.length > 0) await enqueueDeliveries(env, deliveryJobs(result.message, destinations, 0));
  }
  return result;
}

type MessageKey = { kind: KeyKind; key: string };
type DraftMessage = Omit<MessageRow, "app_id" | "id" | "destinations">;
type Created = { message: MessageRow; created: boolean };

/**
 * The common case in one D1 round trip (src/db/message-ingest.ts). Null when it wrote nothing
 * and the checks must decide: an unknown application, a schema to validate, or a repeated key.
 */
async function insertInOneRoundTrip(
  db: D1Database,
  appIdOrUid: string,
  draft: DraftMessage,
  key: MessageKey | null,
): Promise<Created | null> {
  const id = newId("msg", draft.created_at);
  const results = await db.batch<{ app_id: string; destinations: string }>(
    fastIngestStatements(db, { appIdOrUid, key, message: { ...draft, id } }, draft.created_at),
  );
  const inserted = results[results.length - 1]?.results[0];
  return inserted ? { message: { ...draft, id, ...inserted }, created: true } : null;
}

/** The general path: application (created from MessageIn.application if need be), keys, schema, then insert. */
async function insertAfterChecks(
  db: D1Database,
  appIdOrUid: string,
  input: MessageInput,
  draft: DraftMessage,
  keys: MessageKey[],
): Promise<Created> {
  const now = draft.created_at;
  const app = await resolveApplication(db, appIdOrUid, input);
  const [schemaResult, endpointResult, ...keyResults] = await db.batch<Record<string, unknown>>([
    eventTypeSchemas(db, input.eventType),
    enabledEndpointFilters(db, app.id),
    ...keys.map((k) => findMessageKey(db, app.id, k.kind, k.key)),
  ]);
  const original = await findOriginal(
    db,
    app.id,
    keyResults.map((r) => r.results[0] as { msg_id: string; created_at: number } | undefined),
    now,
  );
  if (original) return { message: original, created: false };

  const schemaRow = schemaResult?.results[0] as { schemas: string | null } | undefined;
  const schema = latestSchema(parseJson<Record<string, unknown> | null>(schemaRow?.schemas, null));
  if (schema !== null) {
    const errors = validateJsonSchema(schema, input.payload, ["body", "payload"]);
    if (errors.length > 0) {
      throw new ValidationFailure(
        errors.map((e) => ({ loc: e.path, msg: e.message, type: "value_error.jsonschema" })),
      );
    }
  }

  const channels = parseJson<string[] | null>(draft.channels, null);
  const endpoints = (endpointResult?.results ?? []) as unknown as FanoutEndpoint[];
  const destinations = endpoints
    .filter((ep) => endpointMatches(ep, input.eventType, channels))
    .map((ep) => ep.id);
  const message: MessageRow = {
    ...draft,
    app_id: app.id,
    id: newId("msg", now),
    destinations: JSON.stringify(destinations),
  };
  try {
    await db.batch([
      ...keys.flatMap((k) => [
        deleteStaleKey(db, app.id, k.kind, k.key, now),
        insertMessageKey(db, {
          app_id: app.id,
          kind: k.kind,
          key: k.key,
          msg_id: message.id,
          created_at: now,
        }),
      ]),
      insertMessage(db, message),
    ]);
  } catch (err) {
    if (!isUniqueViolation(err) || keys.length === 0) throw err;
    // A concurrent request with the same key committed first: answer with its message.
    const again = await db.batch<{ msg_id: string; created_at: number }>(
      keys.map((k) => findMessageKey(db, app.id, k.kind, k.key)),
    );
    const winner = await findOriginal(
      db,
      app.id,
      again.map((r) => r.results[0]),
      now,
    );
    if (!winner) throw err;
    return { message: winner, created: false };
  }
  return { message, created: true };
}

async function findOriginal(
  db: D1Database,
  appId: string,
  found: ({ msg_id: string; created_at: number } | undefined)[],
  now: number,
): Promise<MessageRow | null> {
  for (const key of found) {
    if (key && key.created_at > now - IDEMPOTENCY_WINDOW_MS) {
      const message = await getMessage(db, appId, key.msg_id);
      if (message) return message;
    }
  }
  return null;
}
