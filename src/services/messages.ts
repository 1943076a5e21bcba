import { getConfig } from "../config";
import { ApiError, conflict, invalid, notFound, ValidationFailure } from "../errors";
import { newMessageId } from "../lib/ids";
import { jsonDeeperThan, MAX_BODY_DEPTH } from "../lib/json-depth";
import { allShards, type LogRef, logRef, shardForMessage, shardForNew } from "../log/client";
import type { MessageFilter } from "../log/message-store";
import type { IngestResult } from "../log/protocol";
import type { MessageRow } from "../log/records";
import { byteLength } from "../queue/enqueue";
import { type ApplicationInput, createApplicationForPath } from "./applications";
import { cachedApplication, cachedSchema } from "./ingest-cache";
import { validateJsonSchema } from "./json-schema";
import { checkUidShape } from "./uid-rules";

export interface MessageInput {
  eventType: string;
  payload: Record<string, unknown>;
  eventId?: string | null;
  channels?: string[] | null;
  tags?: string[] | null;
  payloadRetentionPeriod?: number | null;
  payloadRetentionHours?: number | null;
  deliverAt?: string | null;
  application?: ApplicationInput | null;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const DEFAULT_RETENTION_DAYS = 90;
/** The payload is level 2 of a message body. */
const MAX_PAYLOAD_DEPTH = MAX_BODY_DEPTH - 1;
/** Svix: deliverAt is at least one minute and at most 24 hours ahead. */
const DELIVER_AT = { min: 60_000, max: DAY_MS };

/** When a message's payload is purged (payloadRetentionHours, else payloadRetentionPeriod days). */
export function payloadExpiry(
  now: number,
  input: Pick<MessageInput, "payloadRetentionPeriod" | "payloadRetentionHours"> = {},
) {
  if (input.payloadRetentionHours) return now + input.payloadRetentionHours * HOUR_MS;
  return now + (input.payloadRetentionPeriod ?? DEFAULT_RETENTION_DAYS) * DAY_MS;
}

function deliverAtOf(input: MessageInput, now: number): number | null {
  if (!input.deliverAt) return null;
  const at = Date.parse(input.deliverAt);
  if (at < now + DELIVER_AT.min - 5_000 || at > now + DELIVER_AT.max) {
    throw invalid(["body", "deliverAt"], "must be at least one minute and at most 24 hours in the future");
  }
  return at;
}

/**
 * The payload as JSON text, nested no deeper than a request body may carry it. Request bodies
 * are depth-checked before parsing; an example stored in a schema before the caps is not.
 */
function serializePayload(payload: Record<string, unknown>): string {
  let text: string | null = null;
  try {
    text = JSON.stringify(payload);
  } catch {
    // Too deep for the stack: refused below like any payload over the limit.
  }
  if (text === null || jsonDeeperThan(text, MAX_PAYLOAD_DEPTH)) {
    const msg = `must not nest arrays and objects more than ${MAX_PAYLOAD_DEPTH} levels deep`;
    throw invalid(["body", "payload"], msg, "value_error.json_depth");
  }
  return text;
}

/** Validates the payload against the event type's latest schema: at most MAX_SCHEMA_ERRORS issues. */
async function checkSchema(db: D1Database, input: MessageInput): Promise<void> {
  const schema = await cachedSchema(db, input.eventType);
  if (schema === null) return;
  const errors = validateJsonSchema(schema, input.payload, ["body", "payload"]);
  if (errors.length > 0) {
    throw new ValidationFailure(
      errors.map((e) => ({ loc: e.path, msg: e.message, type: "value_error.jsonschema" })),
    );
  }
}

/**
 * The application a message goes to, with the uid the log object checks it by (null when the
 * path names it by id). MessageIn.application creates it on first use (Svix), with the body's
 * uid, else the path's: an `app_` id that names nothing is a 404 without a uid in the body, never
 * a new random application, and a path uid with another body uid is a 422. The message's eventId is checked here, before that first write.
 */
async function resolveApp(
  env: Env,
  idOrUid: string,
  input: MessageInput,
  fresh: boolean,
): Promise<{ id: string; uid: string | null }> {
  checkUidShape(input.eventId, ["body", "eventId"]);
  const app = await cachedApplication(env.DB, idOrUid, fresh);
  if (app) return { id: app.id, uid: app.id === idOrUid ? null : idOrUid };
  const created = await createApplicationForPath(env, idOrUid, input.application ?? null);
  return { id: created.id, uid: created.uid };
}

/**
 * Creates a message: checks it, then hands it to the application's log object in one call;
 * the object checks the keys, fans out, commits the message with its deliveries and queues
 * them. A repeated idempotency key within 24 h answers the original message; a repeated
 * eventId is a 409.
 */
export async function createMessage({
  env,
  appIdOrUid,
  input,
  idempotencyKey,
  onlyEndpoint,
}: {
  env: Env;
  appIdOrUid: string;
  input: MessageInput;
  idempotencyKey: string | null;
  onlyEndpoint?: string;
}): Promise<{ message: MessageRow; created: boolean }> {
  const config = getConfig(env);
  const payload = serializePayload(input.payload);
  if (byteLength(payload) > config.maxPayloadBytes) {
    throw new ApiError(413, "payload_too_large", `The payload exceeds ${config.maxPayloadBytes} bytes`);
  }
  if (input.payloadRetentionHours && input.payloadRetentionPeriod) {
    throw invalid(
      ["body", "payloadRetentionHours"],
      "payloadRetentionPeriod and payloadRetentionHours are mutually exclusive",
    );
  }
  const now = Date.now();
  const deliverAt = deliverAtOf(input, now);
  await checkSchema(env.DB, input);
  const shard = shardForNew(env, input.eventId ?? idempotencyKey);
  const channels = input.channels?.length ? input.channels : null;
  const message = {
    id: newMessageId(shard, now),
    event_type: input.eventType,
    event_id: input.eventId ?? null,
    channels: channels ? JSON.stringify(channels) : null,
    tags: input.tags?.length ? JSON.stringify(input.tags) : null,
    payload,
    created_at: now,
    // Retention runs from the delivery time: a scheduled message keeps its payload until it is sent.
    expires_at: payloadExpiry(deliverAt ?? now, input),
    deliver_at: deliverAt,
  };
  let result: IngestResult = { kind: "unknown_app" };
  // A second try after unknown_app: the isolate's copy of the id or uid may be stale.
  for (const fresh of [false, true]) {
    const app = await resolveApp(env, appIdOrUid, input, fresh);
    const log = logRef(env, app.id, shard);
    result = await log.stub.ingest(log.ident, {
      uid: app.uid,
      message,
      idempotencyKey,
      ...(onlyEndpoint ? { onlyEndpoint } : {}),
    });
    if (result.kind !== "unknown_app") break;
  }
  if (result.kind === "unknown_app") throw notFound("Application");
  if (result.kind === "conflict") throw conflict(result.detail);
  return { message: result.message, created: result.kind === "created" };
}

/** The log object holding a message named by id or eventId. */
export const messageLog = (env: Env, appId: string, idOrEventId: string): LogRef =>
  logRef(env, appId, shardForMessage(env, idOrEventId));

/** The message of the application named by id or eventId, or a 404. */
export async function requireMessage(env: Env, appId: string, idOrEventId: string): Promise<MessageRow> {
  const log = messageLog(env, appId, idOrEventId);
  const message = await log.stub.getMessage(log.ident, idOrEventId);
  if (!message) throw notFound("Message");
  return message;
}

/** Merges per-shard pages (each in `direction` order, up to limit + 1) into one. */
export function mergeById<T extends { id: string }>(
  pages: T[][],
  direction: "ASC" | "DESC",
  limit: number,
): T[] {
  const all = pages.flat().sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (direction === "DESC") all.reverse();
  return all.slice(0, limit + 1);
}

/** A page of the application's messages, merged over its shards in id order. */
export async function listMessages(
  env: Env,
  appId: string,
  filter: MessageFilter,
  direction: "ASC" | "DESC",
  limit: number,
): Promise<MessageRow[]> {
  const pages = await Promise.all(
    allShards(env, appId).map((l) => l.stub.listMessages(l.ident, filter, direction, limit)),
  );
  return mergeById(pages, direction, limit);
}

/** Deletes a message's payload at once; its pending deliveries then end without sending it. */
export async function expungeMessageContent(env: Env, appId: string, idOrEventId: string): Promise<void> {
  const message = await requireMessage(env, appId, idOrEventId);
  const log = messageLog(env, appId, message.id);
  await log.stub.expunge(log.ident, message.id);
}
