import { idAt } from "../lib/ids";
import type { DeliveryRef } from "../queue/jobs";
import type { AttemptStore } from "./attempt-store";
import type { MessageStore, StoredMessage } from "./message-store";
import type { Produced } from "./producer";

// The outbox: which committed deliveries have no job on its way to the consumer any more and
// must be enqueued again. Three sources, each a range read:
// - first attempts: messages from the watermark W on (every message below W has had each of
//   its destinations attempted at least once, or handed to `waiting`);
// - scheduled messages (deliverAt), by their deliver_at index;
// - retries: latest attempts whose next_attempt_at has come (a partial index);
// - deliveries parked by the rate limit (the `waiting` table).
// A delivery is enqueued again when it is due and no job was handed to the queue for it within
// the last `staleMs` (in-memory: after a restart every due delivery is enqueued once more, and
// the log object's claim drops the copies whose attempt was already made).

export const SCAN_LIMIT = 5000;

export interface OutboxState {
  /** Key `${msgId}|${endpointId}` -> when its queued job is expected at the consumer (unix ms). */
  queued: Map<string, number>;
  leased: (key: string, now: number) => boolean;
  /** Endpoints that still exist (deliveries to deleted ones are never retried). */
  endpointExists: (id: string) => boolean;
}

export const deliveryKey = (msgId: string, endpointId: string) => `${msgId}|${endpointId}`;

function isStale(state: OutboxState, key: string, now: number, staleMs: number): boolean {
  if (state.leased(key, now)) return false;
  const expected = state.queued.get(key);
  return expected === undefined || expected + staleMs <= now;
}

export interface FirstScan {
  items: Produced[];
  /** The new watermark: the first message still missing an attempt, else the scan's end. */
  watermark: string;
  complete: boolean;
}

/** Messages of [watermark, now - staleMs) whose destinations still lack a first attempt. */
export function scanFirstAttempts(
  messages: MessageStore,
  attempts: AttemptStore,
  state: OutboxState,
  waiting: (key: string) => boolean,
  opts: { watermark: string; now: number; staleMs: number },
): FirstScan {
  const end = idAt("msg", opts.now - opts.staleMs);
  const rows = messages.scan(opts.watermark, end, SCAN_LIMIT);
  const items: Produced[] = [];
  let firstMissing: string | null = null;
  const attempted = rows.length
    ? attempts.attemptedBetween(rows[0]?.id ?? "", rows.at(-1)?.id ?? "")
    : new Set<string>();
  for (const msg of rows) {
    if (msg.deliver_at !== null) continue;
    const missing = missingFirstAttempts(msg, attempted, state, waiting);
    if (missing.length === 0) continue;
    firstMissing ??= msg.id;
    for (const e of missing) {
      const key = deliveryKey(msg.id, e);
      if (isStale(state, key, opts.now, opts.staleMs)) items.push(firstJob(msg.id, e));
    }
  }
  const complete = rows.length < SCAN_LIMIT;
  const last = rows[rows.length - 1];
  const scanned = complete ? end : last ? `${last.id}0` : opts.watermark;
  return { items, watermark: firstMissing ?? scanned, complete };
}

/** Scheduled messages due in [from, now] that still lack first attempts. */
export function scanScheduled(
  messages: MessageStore,
  attempts: AttemptStore,
  state: OutboxState,
  opts: { from: number; now: number; staleMs: number },
): { items: Produced[]; earliestMissing: number | null } {
  const items: Produced[] = [];
  let earliestMissing: number | null = null;
  for (const msg of messages.scheduled(opts.from, opts.now, SCAN_LIMIT)) {
    const missing = missingFirstAttempts(msg, attempts.attemptedBetween(msg.id, msg.id), state, () => false);
    if (missing.length === 0) continue;
    earliestMissing ??= msg.deliver_at;
    for (const e of missing) {
      if (isStale(state, deliveryKey(msg.id, e), opts.now, opts.staleMs)) items.push(firstJob(msg.id, e));
    }
  }
  return { items, earliestMissing };
}

/** Retries whose time has come and that have no job on its way. */
export function scanRetries(
  attempts: AttemptStore,
  state: OutboxState,
  opts: { now: number; staleMs: number },
): Produced[] {
  const items: Produced[] = [];
  for (const a of attempts.due(opts.now, SCAN_LIMIT)) {
    if (!state.endpointExists(a.endpoint_id)) continue;
    if (!isStale(state, deliveryKey(a.msg_id, a.endpoint_id), opts.now, opts.staleMs)) continue;
    const ref: DeliveryRef = {
      m: a.msg_id,
      e: a.endpoint_id,
      p: a.id,
      n: attempts.failuresInARow(a.msg_id, a.endpoint_id),
      t: a.trigger_type === 1 ? 1 : 0,
    };
    items.push({ ref, delaySeconds: 0 });
  }
  return items;
}

/** The message's destinations with no attempt yet (`attempted` holds "msg|endpoint" keys). */
function missingFirstAttempts(
  msg: StoredMessage,
  attempted: Set<string>,
  state: OutboxState,
  waiting: (key: string) => boolean,
): string[] {
  const destinations = JSON.parse(msg.destinations) as string[];
  return destinations.filter((e) => {
    const key = deliveryKey(msg.id, e);
    return !attempted.has(key) && state.endpointExists(e) && !waiting(key);
  });
}

export const firstJob = (m: string, e: string, delaySeconds = 0): Produced => ({
  ref: { m, e, p: null, n: 0, t: 0 },
  delaySeconds,
});
