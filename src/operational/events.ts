// Operational webhooks (Svix event names and payload shapes) sent to OPERATIONAL_WEBHOOK_URL
// through the deliveries queue, so they get the same signing, timeout and retries as any
// delivery. Emitting happens after the caller's data is committed, so it never throws.
import { getConfig } from "../config";
import { newId } from "../lib/ids";
import type { OperationalJob } from "../queue/jobs";

export type OperationalEventType =
  | "endpoint.created"
  | "endpoint.updated"
  | "endpoint.deleted"
  | "endpoint.disabled"
  | "message.attempt.exhausted"
  | "message.attempt.failing"
  | "message.attempt.recovered";

export interface OperationalEvent {
  type: OperationalEventType;
  /** The event's `data` object, in Svix's shape for that type. */
  data: Record<string, unknown>;
  /** When it happened (unix ms); defaults to the time of emitting. */
  timestamp?: number;
}

/** What the builders need of an application or an endpoint row. */
export interface Named {
  id: string;
  uid: string | null;
}

export type EndpointLifecycleType = "endpoint.created" | "endpoint.updated" | "endpoint.deleted";
export type AttemptEventType =
  | "message.attempt.exhausted"
  | "message.attempt.failing"
  | "message.attempt.recovered";

function endpointData(app: Named, endpoint: Named): Record<string, unknown> {
  return { appId: app.id, appUid: app.uid, endpointId: endpoint.id, endpointUid: endpoint.uid };
}

/** endpoint.created / updated / deleted (Svix EndpointCreatedEventData and siblings). */
export function endpointEvent(type: EndpointLifecycleType, app: Named, endpoint: Named): OperationalEvent {
  return { type, data: endpointData(app, endpoint) };
}

/**
 * endpoint.disabled (Svix EndpointDisabledEventData). `failSince` is the first failure of the
 * run that led to the disable; `trigger` is "automatic" for the health window and 410 Gone.
 */
export function endpointDisabledEvent(
  app: Named,
  endpoint: Named,
  failSince: number,
  trigger: "automatic" | "manual" = "automatic",
): OperationalEvent {
  return {
    type: "endpoint.disabled",
    data: { ...endpointData(app, endpoint), failSince: new Date(failSince).toISOString(), trigger },
  };
}

export interface AttemptRef {
  /** The attempt's id (atmpt_...). */
  id: string;
  responseStatusCode: number;
  /** Unix ms of the attempt. */
  timestamp: number;
}

/** message.attempt.exhausted / failing / recovered (Svix MessageAttemptExhaustedEventData). */
export function attemptEvent(
  type: AttemptEventType,
  app: Named,
  delivery: { endpointId: string; msgId: string; msgEventId: string | null },
  lastAttempt: AttemptRef,
): OperationalEvent {
  return {
    type,
    data: {
      appId: app.id,
      appUid: app.uid,
      endpointId: delivery.endpointId,
      msgId: delivery.msgId,
      msgEventId: delivery.msgEventId,
      lastAttempt: {
        id: lastAttempt.id,
        responseStatusCode: lastAttempt.responseStatusCode,
        timestamp: new Date(lastAttempt.timestamp).toISOString(),
      },
    },
  };
}

/** The queue job for one event: Svix's envelope {type, timestamp, data} as the body. */
export function operationalJob(event: OperationalEvent, now = Date.now()): OperationalJob {
  const payload = JSON.stringify({
    type: event.type,
    timestamp: new Date(event.timestamp ?? now).toISOString(),
    data: event.data,
  });
  return { kind: "operational", id: newId("msg"), eventType: event.type, payload, attempt: 0 };
}

// sendBatch takes at most 100 messages per call.
const BATCH_LIMIT = 100;

/**
 * Enqueues operational webhooks; does nothing when OPERATIONAL_WEBHOOK_URL is unset. A queue
 * failure is logged and swallowed: the caller's change is already committed, and failing its
 * request would invite a retry that repeats it.
 */
export async function emitOperational(env: Env, events: OperationalEvent[]): Promise<void> {
  if (events.length === 0 || !getConfig(env).operationalWebhookUrl) return;
  const jobs = events.map((event) => operationalJob(event));
  try {
    for (let i = 0; i < jobs.length; i += BATCH_LIMIT) {
      await env.DELIVERIES.sendBatch(jobs.slice(i, i + BATCH_LIMIT).map((body) => ({ body })));
    }
  } catch (err) {
    console.error("operational webhooks not enqueued", {
      types: events.map((e) => e.type),
      error: err instanceof Error ? err.message : String(err),
    });
  }
}
