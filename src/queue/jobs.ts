// What travels on the deliveries queue. A log object packs the deliveries it hands to the
// queue into one message per sendBatch entry (see packDeliveries): ids and counters only, the
// payload is read back from the log object by the consumer when it claims the batch.

/**
 * One (message, endpoint) delivery to attempt. `p` is the attempt it follows: the delivery's
 * latest attempt id when the job was made (null for the first one). The log object lets a job
 * send only while that is still the delivery's latest attempt, so a redelivered or duplicated
 * job whose attempt was already recorded is dropped instead of sent again.
 */
export interface DeliveryRef {
  /** Message id. */
  m: string;
  /** Endpoint id. */
  e: string;
  /** The attempt this job follows, or null. */
  p: string | null;
  /** Attempts already made in this delivery's run (0 on the first send): the retry schedule's step. */
  n: number;
  /** 0 scheduled, 1 manual (resend / recover). */
  t: 0 | 1;
}

/** Deliveries of one log object (application shard), several per queue message. */
export interface DeliveriesJob {
  kind: "deliveries";
  appId: string;
  shard: number;
  refs: DeliveryRef[];
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

export type QueueJob = DeliveriesJob | OperationalJob;

/** One delivery with the log object it belongs to, as the consumer and the outcome rules see it. */
export interface DeliveryJob {
  kind: "delivery";
  appId: string;
  shard: number;
  msgId: string;
  endpointId: string;
  /** Attempts already made in this run (0 on the first send). */
  attempt: number;
  trigger: 0 | 1;
  /** The attempt this job follows (see DeliveryRef.p). */
  prev: string | null;
  /** The message's eventId, for the operational events' msgEventId. */
  eventId?: string | null;
  /** The lease the log object's claim gave this consumer (see AppLog.claim). */
  lease?: string;
}

export const toDeliveryJob = (pack: DeliveriesJob, ref: DeliveryRef): DeliveryJob => ({
  kind: "delivery",
  appId: pack.appId,
  shard: pack.shard,
  msgId: ref.m,
  endpointId: ref.e,
  attempt: ref.n,
  trigger: ref.t,
  prev: ref.p,
});
