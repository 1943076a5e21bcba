import { type AttemptRow, STATUS } from "../db/attempts";
import type { AppThrottle } from "../db/delivery-reads";
import type { EndpointRow } from "../db/endpoints";
import { newId } from "../lib/ids";
import { attemptEvent, type OperationalEvent } from "../operational/events";
import { classifyResponse, type Outcome } from "./classify";
import type { DeliveryJob, QueueJob } from "./jobs";
import { nextRetryDelay, splitDelay } from "./retry";
import type { SendResult } from "./send";

/** What becomes of a queue message once the batch's D1 write has committed. */
export type Next =
  | { kind: "ack" }
  /** The same job again later, counters unchanged (rate limit, notBefore, a failed D1 write). */
  | { kind: "defer"; delaySeconds: number }
  /** A new job (the next attempt) is enqueued, then the message is acked. */
  | { kind: "follow"; job: QueueJob; delaySeconds: number };

export interface Result {
  msg: Message<QueueJob>;
  job: QueueJob;
  attempt: AttemptRow | null;
  next: Next;
  events: OperationalEvent[];
  /** Classified HTTP outcome, for the endpoint's health report (null: nothing was sent). */
  outcome: Outcome | null;
}

/** Svix sends message.attempt.failing on a delivery's 4th consecutive failure. */
export const FAILING_EVENT_AT_ATTEMPT = 4;

export function attemptRow(
  job: DeliveryJob,
  url: string,
  startedAt: number,
  fields: {
    status: number;
    code: number;
    response: string;
    durationMs: number;
    nextAttemptAt: number | null;
  },
): AttemptRow {
  return {
    app_id: job.appId,
    msg_id: job.msgId,
    endpoint_id: job.endpointId,
    id: newId("atmpt", startedAt),
    url,
    status: fields.status,
    response_status_code: fields.code,
    response: fields.response,
    response_duration_ms: fields.durationMs,
    trigger_type: job.trigger,
    next_attempt_at: fields.nextAttemptAt,
    created_at: startedAt,
  };
}

/** The same job again after `delaySeconds`, nothing recorded (rate limit, notBefore not reached). */
export function deferredResult(msg: Message<QueueJob>, job: QueueJob, delaySeconds: number): Result {
  return { msg, job, attempt: null, next: { kind: "defer", delaySeconds }, events: [], outcome: null };
}

/** A delivery that ends failed without an HTTP attempt (refused URL, disabled endpoint, no content). */
export function endedResult(
  msg: Message<QueueJob>,
  job: DeliveryJob,
  url: string,
  reason: string,
  now: number,
): Result {
  const attempt = attemptRow(job, url, now, {
    status: STATUS.fail,
    code: 0,
    response: reason,
    durationMs: 0,
    nextAttemptAt: null,
  });
  return { msg, job, attempt, next: { kind: "ack" }, events: [], outcome: null };
}

/** The attempt row, the next step and the operational events of one HTTP attempt. */
export function sentResult(opts: {
  msg: Message<QueueJob>;
  job: DeliveryJob;
  app: AppThrottle;
  endpoint: EndpointRow;
  sent: SendResult;
  startedAt: number;
  schedule: readonly number[];
  random?: () => number;
}): Result {
  const { msg, job, app, endpoint, sent, startedAt } = opts;
  const outcome = classifyResponse(sent);
  const attemptsMade = job.attempt + 1;
  const fields = { code: sent.status ?? 0, response: sent.body, durationMs: sent.durationMs };
  const delivery = { endpointId: job.endpointId, msgId: job.msgId, msgEventId: job.eventId ?? null };
  const named = { id: app.id, uid: app.uid };
  const event = (
    type: "message.attempt.exhausted" | "message.attempt.failing" | "message.attempt.recovered",
    a: AttemptRow,
  ) =>
    attemptEvent(type, named, delivery, {
      id: a.id,
      responseStatusCode: a.response_status_code,
      timestamp: a.created_at,
    });

  if (outcome.kind === "success") {
    const attempt = attemptRow(job, endpoint.url, startedAt, {
      ...fields,
      status: STATUS.success,
      nextAttemptAt: null,
    });
    // Svix sends "recovered" only to close a "failing" it already sent (the 4th failed attempt).
    const events =
      job.attempt >= FAILING_EVENT_AT_ATTEMPT ? [event("message.attempt.recovered", attempt)] : [];
    return { msg, job, attempt, next: { kind: "ack" }, events, outcome };
  }
  const delay =
    outcome.kind === "gone"
      ? null
      : nextRetryDelay(
          opts.schedule,
          attemptsMade,
          outcome.kind === "throttled" ? outcome.retryAfterSeconds : null,
          opts.random,
        );
  if (delay === null) {
    const attempt = attemptRow(job, endpoint.url, startedAt, {
      ...fields,
      status: STATUS.fail,
      nextAttemptAt: null,
    });
    const events = outcome.kind === "gone" ? [] : [event("message.attempt.exhausted", attempt)];
    return { msg, job, attempt, next: { kind: "ack" }, events, outcome };
  }
  const now = Date.now();
  const split = splitDelay(delay, now);
  const attempt = attemptRow(job, endpoint.url, startedAt, {
    ...fields,
    status: STATUS.pending,
    nextAttemptAt: now + Math.ceil(delay) * 1000,
  });
  const next: DeliveryJob = { ...job, attempt: attemptsMade };
  delete next.notBefore;
  if (split.notBefore !== undefined) next.notBefore = split.notBefore;
  const events = attemptsMade === FAILING_EVENT_AT_ATTEMPT ? [event("message.attempt.failing", attempt)] : [];
  return {
    msg,
    job,
    attempt,
    next: { kind: "follow", job: next, delaySeconds: split.delaySeconds },
    events,
    outcome,
  };
}

/** Turns a delivery that would be retried into a failed one (its endpoint was just disabled). */
export function endAsFailed(result: Result, reason: string): Result {
  if (result.next.kind === "ack" || !result.attempt) return result;
  const attempt = {
    ...result.attempt,
    status: STATUS.fail,
    next_attempt_at: null,
    response: result.attempt.response || reason,
  };
  return { ...result, attempt, next: { kind: "ack" } };
}
