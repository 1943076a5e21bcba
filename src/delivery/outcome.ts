import { newId } from "../lib/ids";
import type { AppThrottle } from "../log/protocol";
import { type AttemptRow, STATUS } from "../log/records";
import { attemptEvent, type OperationalEvent } from "../operational/events";
import type { DeliveryJob } from "../queue/jobs";
import { classifyResponse, type Outcome } from "./classify";
import { nextRetryDelay } from "./retry";
import type { SendResult } from "./send";

/**
 * What became of one delivery job in a consumer batch, reported to its log object: an attempt
 * (each with its own status) and the wait before the next one, or a deferral by the rate
 * limit (nothing sent, nothing recorded).
 */
export interface DeliveryResult {
  job: DeliveryJob;
  attempt: AttemptRow | null;
  /** Seconds until the next attempt; null when none follows. */
  retryDelaySeconds: number | null;
  /** Set when the job goes back to the queue unattempted (rate limit), in seconds. */
  deferSeconds: number | null;
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

/** The job again after `seconds`, nothing recorded (rate limit). */
export function deferredResult(job: DeliveryJob, seconds: number): DeliveryResult {
  return {
    job,
    attempt: null,
    retryDelaySeconds: null,
    deferSeconds: Math.max(1, Math.ceil(seconds)),
    events: [],
    outcome: null,
  };
}

/** A delivery that ends failed without an HTTP attempt (refused URL, disabled endpoint, no content). */
export function endedResult(job: DeliveryJob, url: string, reason: string, now: number): DeliveryResult {
  const attempt = attemptRow(job, url, now, {
    status: STATUS.fail,
    code: 0,
    response: reason,
    durationMs: 0,
    nextAttemptAt: null,
  });
  return { job, attempt, retryDelaySeconds: null, deferSeconds: null, events: [], outcome: null };
}

/** The attempt row, the wait before the next one and the operational events of one HTTP attempt. */
export function sentResult(opts: {
  job: DeliveryJob;
  app: AppThrottle;
  url: string;
  sent: SendResult;
  startedAt: number;
  schedule: readonly number[];
  random?: () => number;
}): DeliveryResult {
  const { job, app, url, sent, startedAt } = opts;
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
  const base = { job, deferSeconds: null, outcome };

  if (outcome.kind === "success") {
    const attempt = attemptRow(job, url, startedAt, {
      ...fields,
      status: STATUS.success,
      nextAttemptAt: null,
    });
    // Svix sends "recovered" only to close a "failing" it already sent (the 4th failed attempt).
    const events =
      job.attempt >= FAILING_EVENT_AT_ATTEMPT ? [event("message.attempt.recovered", attempt)] : [];
    return { ...base, attempt, retryDelaySeconds: null, events };
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
    const attempt = attemptRow(job, url, startedAt, { ...fields, status: STATUS.fail, nextAttemptAt: null });
    const events = outcome.kind === "gone" ? [] : [event("message.attempt.exhausted", attempt)];
    return { ...base, attempt, retryDelaySeconds: null, events };
  }
  const retryDelaySeconds = Math.ceil(delay);
  // Every attempt has its own outcome (fail); the destination stays pending until next_attempt_at.
  const attempt = attemptRow(job, url, startedAt, {
    ...fields,
    status: STATUS.fail,
    nextAttemptAt: Date.now() + retryDelaySeconds * 1000,
  });
  const events = attemptsMade === FAILING_EVENT_AT_ATTEMPT ? [event("message.attempt.failing", attempt)] : [];
  return { ...base, attempt, retryDelaySeconds, events };
}

/** Turns a delivery that would be retried or deferred into a failed one (its endpoint was just disabled). */
export function endAsFailed(
  result: DeliveryResult,
  url: string,
  reason: string,
  now: number,
): DeliveryResult {
  if (!result.attempt) return endedResult(result.job, url, reason, now);
  if (result.retryDelaySeconds === null) return result;
  const attempt = { ...result.attempt, next_attempt_at: null, response: result.attempt.response || reason };
  return { ...result, attempt, retryDelaySeconds: null };
}
