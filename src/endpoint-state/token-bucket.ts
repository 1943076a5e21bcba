// The endpoint's token bucket, as pure functions over a small persisted state.
//
// Capacity is one second's burst (`rate` tokens) and it refills at `rate` tokens per second,
// so in any window of W seconds at most rate * W + rate permits are granted. Permits are only
// granted when tokens are there at the moment of the call: a deferred delivery asks again
// when it comes back, so late queue redelivery can never push sends above the bound.
//
// Deferred deliveries get spread-out return times instead of all coming back together:
// `horizon` is the first slot not yet promised to an earlier deferred delivery, and each new
// deferred delivery takes the next slot, one every 1000 / rate ms. The slots are advisory (the
// bucket still decides when they return), which keeps deferred work roughly in order and
// avoids a herd of retries that would mostly be deferred again.

export interface BucketState {
  /** Tokens left at `updatedAt` (fractional; never above the capacity). */
  tokens: number;
  /** Unix ms of the last update. */
  updatedAt: number;
  /** The rate the state was last computed with (msgs/s). */
  rate: number;
  /** Unix ms of the first return slot not promised to a deferred delivery yet. */
  horizon: number;
}

export interface BucketDecision {
  granted: number;
  /** Delay before the first deferred delivery should come back; 0 when all were granted. */
  retryAfterMs: number;
  /** Gap between the return slots of successive deferred deliveries; 0 when all were granted. */
  spacingMs: number;
}

// Tolerance for float drift in the refill arithmetic (4.9999999 tokens are 5 tokens).
const EPSILON = 1e-9;

function capacity(rate: number): number {
  return Math.max(rate, 1);
}

/** The state brought forward to `now` at `rate`: refilled, capped, horizon rescaled on a rate change. */
export function refill(state: BucketState | undefined, rate: number, now: number): BucketState {
  if (!state) return { tokens: capacity(rate), updatedAt: now, rate, horizon: now };
  // Callers' clocks may differ slightly; time never runs backwards for the bucket.
  const at = Math.max(now, state.updatedAt);
  const elapsed = at - state.updatedAt;
  const tokens = Math.min(capacity(rate), state.tokens + (elapsed * rate) / 1000);
  let horizon = state.horizon;
  // Slots promised at the old rate: the same number of them now takes (old / new) as long.
  if (rate !== state.rate && horizon > at) horizon = at + ((horizon - at) * state.rate) / rate;
  return { tokens, updatedAt: at, rate, horizon };
}

/** Grants up to `wanted` permits now and assigns return slots to the rest. */
export function take(
  previous: BucketState | undefined,
  wanted: number,
  rate: number,
  now: number,
): { state: BucketState; decision: BucketDecision } {
  const state = refill(previous, rate, now);
  const granted = Math.min(wanted, Math.max(0, Math.floor(state.tokens + EPSILON)));
  state.tokens = Math.max(0, state.tokens - granted);
  const deferred = wanted - granted;
  if (deferred === 0) return { state, decision: { granted, retryAfterMs: 0, spacingMs: 0 } };
  const spacingMs = 1000 / rate;
  const nextToken = state.updatedAt + (1 - state.tokens) * spacingMs;
  const start = Math.max(nextToken, state.horizon);
  state.horizon = start + deferred * spacingMs;
  return {
    state,
    decision: { granted, retryAfterMs: Math.max(1, Math.ceil(start - now)), spacingMs },
  };
}
