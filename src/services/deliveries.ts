import { type BackgroundTaskRow, getTask, insertTask, listTasks } from "../db/background-tasks";
import type { EndpointRow } from "../db/endpoints";
import { eventTypeSchemas } from "../db/event-types";
import { ApiError, notFound } from "../errors";
import { newId } from "../lib/ids";
import { parseJson } from "../lib/json";
import { allShards } from "../log/client";
import type { MessageRow } from "../log/records";
import { latestSchema } from "./json-schema";
import { createMessage, messageLog, requireMessage } from "./messages";

// Replaying deliveries: resend one, recover an endpoint's failures (a background task), send
// an example.

/** Queues one more attempt (trigger manual) of a delivery, whatever its state. */
export async function resendDelivery(env: Env, appId: string, msgIdOrEventId: string, endpointId: string) {
  const message = await requireMessage(env, appId, msgIdOrEventId);
  const log = messageLog(env, appId, message.id);
  let queued: boolean;
  try {
    queued = await log.stub.resend(log.ident, message.id, endpointId);
  } catch (err) {
    // Nothing is committed for a manual replay: a queue failure must reach the caller.
    console.error("resend not queued", err instanceof Error ? err.message : err);
    throw new ApiError(503, "unavailable", "The delivery queue is unavailable; try again");
  }
  if (!queued) throw notFound("Message destination");
}

export type BackgroundTask = BackgroundTaskRow;

/**
 * Starts Svix's endpoint.recover: a background task in each of the application's log objects
 * re-queues (trigger manual) every delivery to the endpoint whose latest attempt failed, for
 * messages created in [since, until). Readable at /api/v1/background-task/{id}.
 */
export async function recoverEndpoint(
  env: Env,
  appId: string,
  endpointId: string,
  range: { since: number; until: number },
): Promise<BackgroundTaskRow> {
  const now = Date.now();
  const shards = allShards(env, appId);
  const task: BackgroundTaskRow = {
    id: `qtask_${newId("msg", now).slice(4)}`,
    app_id: appId,
    task: "endpoint.recover",
    status: "running",
    data: JSON.stringify({
      endpointId,
      since: new Date(range.since).toISOString(),
      until: new Date(range.until).toISOString(),
    }),
    pending: shards.length,
    created_at: now,
    updated_at: now,
  };
  await insertTask(env.DB, task).run();
  await Promise.all(
    shards.map((l) =>
      l.stub.recover(l.ident, {
        taskId: task.id,
        endpointId,
        since: range.since,
        until: range.until,
        cursor: null,
      }),
    ),
  );
  return task;
}

/** The task, or a 404; with `appId` (an app-portal token's) another application's task is a 404 too. */
export async function requireTask(
  db: D1Database,
  id: string,
  appId: string | null = null,
): Promise<BackgroundTaskRow> {
  const task = await getTask(db, id);
  if (!task || (appId !== null && task.app_id !== appId)) throw notFound("Background task");
  return task;
}

export const listBackgroundTasks = listTasks;

/** The example payload of an event type: Svix's ping, or an example from its latest schema. */
async function examplePayload(
  db: D1Database,
  eventType: string,
  index: number,
): Promise<Record<string, unknown>> {
  if (eventType === "svix.ping") return { success: true };
  const row = await eventTypeSchemas(db, eventType).first<{ schemas: string | null }>();
  if (!row) throw notFound("Event type");
  const schema = latestSchema(parseJson<Record<string, unknown> | null>(row.schemas, null));
  const examples =
    schema && typeof schema === "object" && Array.isArray(schema.examples) ? schema.examples : [];
  const example = examples[index];
  if (!example || typeof example !== "object" || Array.isArray(example)) {
    throw new ApiError(
      400,
      "bad_request",
      `Event type "${eventType}" has no example payload at index ${index}`,
    );
  }
  return example as Record<string, unknown>;
}

/** Sends an event type's example to one endpoint, as a real message with that single destination. */
export async function sendExample(
  env: Env,
  appId: string,
  endpoint: EndpointRow,
  eventType: string,
  index: number,
): Promise<MessageRow> {
  const payload = await examplePayload(env.DB, eventType, index);
  const { message } = await createMessage({
    env,
    appIdOrUid: appId,
    input: { eventType, payload },
    idempotencyKey: null,
    onlyEndpoint: endpoint.id,
  });
  return message;
}
