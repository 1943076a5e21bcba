// What travels on the deliveries queue. Ids, counters and (when small) the payload inline;
// the queue message limit is 128 KB, so large payloads are read from D1 by the consumer.

/** One message x endpoint delivery. */
export interface DeliveryJob {
  kind: "delivery";
  appId: string;
  msgId: string;
  endpointId: string;
  /** Attempts already made for this delivery (0 on the first send). */
  attempt: number;
  /** 0 scheduled, 1 manual (resend / recover). */
  trigger: 0 | 1;
  /** The message payload as JSON text, inline when small enough. */
  payload?: string;
  /** Unix ms before which the job must not be sent (a delay longer than the queue allows is split). */
  notBefore?: number;
  /** The message's eventId, carried for the operational events' msgEventId. */
  eventId?: string | null;
}

/** A delivery's first attempt; a null payload (too large, or purged) is read from D1 by the consumer. */
export function firstAttemptJob(
  d: { appId: string; msgId: string; endpointId: string; eventId: string | null; payload: string | null },
  trigger: 0 | 1,
): DeliveryJob {
  return {
    kind: "delivery",
    appId: d.appId,
    msgId: d.msgId,
    endpointId: d.endpointId,
    attempt: 0,
    trigger,
    eventId: d.eventId,
    ...(d.payload === null ? {} : { payload: d.payload }),
  };
}

/** An operational webhook (endpoint.disabled, message.attempt.exhausted, ...) to OPERATIONAL_WEBHOOK_URL. */
export interface OperationalJob {
  kind: "operational";
  /** The webhook-id: stable across retries. */
  id: string;
  eventType: string;
  /** The JSON body to send. */
  payload: string;
  attempt: number;
  notBefore?: number;
}

/**
 * The rest of an endpoint recovery: a request re-queues a bounded number of failed deliveries
 * itself and hands the remainder, from `cursor` on, to the consumer one page run at a time.
 */
export interface RecoverJob {
  kind: "recover";
  appId: string;
  endpointId: string;
  /** Message creation bounds, unix ms: [since, until). */
  since: number;
  until: number;
  /** The last message id already re-queued. */
  cursor: string;
}

export type QueueJob = DeliveryJob | OperationalJob | RecoverJob;
