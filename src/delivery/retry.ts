// The retry schedule (Svix's): the first attempt is immediate, then each failed attempt waits
// the next step of RETRY_SCHEDULE, +-20 % jitter so that a receiver's outage does not turn
// into synchronized waves of retries when it comes back.

import { MAX_QUEUE_DELAY_SECONDS } from "../queue/limits";

export { MAX_QUEUE_DELAY_SECONDS };
export const JITTER = 0.2;

/** The schedule step (seconds) that follows `attemptsMade` attempts, or null when none is left. */
export function scheduleStep(schedule: readonly number[], attemptsMade: number): number | null {
  const step = schedule[attemptsMade - 1];
  return step === undefined ? null : step;
}

/** `seconds` +- JITTER, never negative; `random` is injectable for tests. */
export function withJitter(seconds: number, random: () => number = Math.random): number {
  return Math.max(0, seconds * (1 - JITTER + 2 * JITTER * random()));
}

/** Parses Retry-After (delay-seconds or an HTTP date) into seconds from `now`; null when absent or invalid. */
export function parseRetryAfter(value: string | null, now: number): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  // An HTTP date names its day and month; anything else (say "-5") is not one.
  if (!/[a-z]/i.test(trimmed)) return null;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return null;
  return Math.max(0, (date - now) / 1000);
}

/**
 * A throttled receiver's Retry-After is honoured but clamped to [step, 2 x step]: a receiver
 * cannot make us hammer it faster than the schedule, nor park a delivery forever.
 */
export function clampRetryAfter(retryAfterSeconds: number, step: number): number {
  return Math.min(Math.max(retryAfterSeconds, step), 2 * step);
}

/**
 * Seconds to wait before the next attempt after `attemptsMade` attempts, the last one failed
 * (`retryAfterSeconds` set when it was throttled and said when to come back). Null: the
 * schedule is exhausted and the delivery has failed.
 */
export function nextRetryDelay(
  schedule: readonly number[],
  attemptsMade: number,
  retryAfterSeconds: number | null = null,
  random: () => number = Math.random,
): number | null {
  const step = scheduleStep(schedule, attemptsMade);
  if (step === null) return null;
  if (retryAfterSeconds !== null) return clampRetryAfter(retryAfterSeconds, step);
  return withJitter(step, random);
}

/**
 * How to wait `delaySeconds` with the queue: the queue delay (whole seconds, at most 12 h),
 * plus `notBefore` (unix ms) when the wait is longer, so the consumer re-delays the job
 * instead of sending it early.
 */
export function splitDelay(delaySeconds: number, now: number): { delaySeconds: number; notBefore?: number } {
  const whole = Math.max(0, Math.ceil(delaySeconds));
  if (whole <= MAX_QUEUE_DELAY_SECONDS) return { delaySeconds: whole };
  return { delaySeconds: MAX_QUEUE_DELAY_SECONDS, notBefore: now + whole * 1000 };
}
