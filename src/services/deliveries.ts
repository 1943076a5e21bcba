import type { ApplicationRow } from "../db/applications";
import { endpointStatusCounts, failedDeliveries } from "../db/deliveries";
import { eventTypeSchemas } from "../db/delivery-reads";
import type { EndpointRow } from "../db/endpoints";
import { insertMessage, type MessageRow } from "../db/messages";
import { enqueueJobs, INLINE_PAYLOAD_BYTES } from "../delivery/enqueue";
import { type DeliveryJob, firstAttemptJob, type RecoverJob } from "../delivery/jobs";
import { ApiError, notFound } from "../errors";
import { idAt, newId } from "../lib/ids";
import { parseJson } from "../lib/json";
import { requireEndpoint } from "./endpoints";
import { latestSchema } from "./json-schema";
import { deliveryJobs, enqueueDeliveries, payloadExpiry, requireMessage } from "./messages";

// Replaying and inspecting deliveries: resend one, recover an endpoint's failures, send an
// example, count an endpoint's deliveries by status.

/** Queues one more attempt of a delivery (trigger manual), whatever its state. */
export async function resendDelivery(
  env: Env,
  app: ApplicationRow,
  msgIdOrEventId: string,
  endpointIdOrUid: string,
) {
  const message = await requireMessage(env.DB, app.id, msgIdOrEventId);
  const endpoint = await requireEndpoint(env.DB, app.id, endpointIdOrUid);
  if (!parseJson<string[]>(message.destinations, []).includes(endpoint.id)) {
    throw notFound("Message destination");
  }
  await enqueueOrFail(env, deliveryJobs(message, [endpoint.id], 1));
}

async function enqueueOrFail(env: Env, jobs: (DeliveryJob | RecoverJob)[]) {
  // Nothing is committed for a manual replay: a queue failure must reach the caller.
  // enqueueJobs packs the sendBatch calls within both platform limits (100 messages, 256 KB).
  const failed = await enqueueJobs(
    env.DELIVERIES,
    jobs.map((job) => ({ job })),
  );
  if (failed.length > 0) {
    throw new ApiError(503, "unavailable", "The delivery queue is unavailable; try again");
  }
}

/** Failed deliveries read per page, and pages one request (or recover job) re-queues itself. */
export const RECOVER_LIMITS = { page: 500, pagesPerRun: 20 };

/**
 * Re-queues the endpoint's failed deliveries of messages created in [since, until), from
 * `cursor` on. A run stops after `limits.pagesPerRun` pages and enqueues a recover job for
 * the rest, so a recovery of any size finishes without one request doing it all.
 */
export async function recoverEndpoint(
  env: Env,
  appId: string,
  endpointId: string,
  range: { since: number; until: number; cursor?: string | null },
  limits = RECOVER_LIMITS,
): Promise<{ queued: number; continued: boolean }> {
  let cursor = range.cursor ?? null;
  let queued = 0;
  for (let page = 0; page < limits.pagesPerRun; page++) {
    const rows = await failedDeliveries(env.DB, appId, endpointId, {
      fromId: idAt("msg", range.since),
      toId: idAt("msg", range.until),
      cursor,
      limit: limits.page,
      inlineBytes: INLINE_PAYLOAD_BYTES,
    });
    if (rows.length === 0) return { queued, continued: false };
    const jobs = rows.map((r) =>
      firstAttemptJob({ appId, msgId: r.id, endpointId, eventId: r.event_id, payload: r.payload }, 1),
    );
    await enqueueOrFail(env, jobs);
    queued += jobs.length;
    cursor = rows[rows.length - 1]?.id ?? null;
    if (rows.length < limits.page) return { queued, continued: false };
  }
  if (!cursor) return { queued, continued: false };
  const rest: RecoverJob = {
    kind: "recover",
    appId,
    endpointId,
    since: range.since,
    until: range.until,
    cursor,
  };
  await enqueueOrFail(env, [rest]);
  return { queued, continued: true };
}

export async function endpointStats(
  db: D1Database,
  appId: string,
  endpointId: string,
  since: number,
  until: number,
) {
  const counts = await endpointStatusCounts(db, appId, endpointId, idAt("msg", since), idAt("msg", until));
  return {
    success: counts.get(0) ?? 0,
    pending: counts.get(1) ?? 0,
    fail: counts.get(2) ?? 0,
    sending: counts.get(3) ?? 0,
    canceled: 0,
  };
}

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
) {
  const payload = await examplePayload(env.DB, eventType, index);
  const now = Date.now();
  const message: MessageRow = {
    app_id: appId,
    id: newId("msg", now),
    event_type: eventType,
    event_id: null,
    channels: null,
    tags: null,
    payload: JSON.stringify(payload),
    destinations: JSON.stringify([endpoint.id]),
    created_at: now,
    expires_at: payloadExpiry(now),
  };
  await insertMessage(env.DB, message).run();
  await enqueueDeliveries(env, deliveryJobs(message, [endpoint.id], 0));
  return message;
}
