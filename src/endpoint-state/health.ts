// Endpoint health as pure functions: when the endpoint started failing (first failure since its
// last success) and when it last succeeded. An endpoint that has only failed for the whole
// window, or that answered 410 Gone, is to be disabled.

export interface HealthState {
  /** Unix ms of the first failure since the last success; null while healthy. */
  failingSince: number | null;
  /** Unix ms of the last reported success; null if none was reported (healthy endpoints don't report). */
  lastSuccess: number | null;
}

export interface BatchOutcome {
  successes: number;
  failures: number;
  /** The receiver answered 410 Gone: disable at once. */
  gone: boolean;
}

export interface Verdict {
  disable: boolean;
  reason: string | null;
  failingSince: number | null;
}

export const HEALTHY: HealthState = { failingSince: null, lastSuccess: null };

export const GONE_REASON = "The endpoint answered 410 Gone";

function describeWindow(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  return `${Math.round(ms / 1000)} s`;
}

/**
 * Applies one batch's outcomes. `mirror` is the caller's copy of failingSince (the endpoint
 * row): healthy endpoints report nothing, so when the mirror says healthy, successes may have
 * gone unreported since the object last saw a failure, and its old failingSince is stale.
 * Starting the window over is the safe side (at worst the disable comes a race later).
 */
export function applyOutcome(
  previous: HealthState,
  outcome: BatchOutcome,
  now: number,
  disableAfterMs: number,
  mirror?: number | null,
): { state: HealthState; verdict: Verdict } {
  const state: HealthState = { ...previous };
  if (mirror === null) state.failingSince = null;
  if (outcome.successes > 0) {
    state.lastSuccess = now;
    // Sends in one batch run concurrently, so their order is unknown: failures next to a
    // success start a new window rather than continue the old one.
    state.failingSince = outcome.failures > 0 || outcome.gone ? now : null;
  } else if (outcome.failures > 0 || outcome.gone) {
    state.failingSince ??= now;
  }
  if (outcome.gone) {
    return { state, verdict: { disable: true, reason: GONE_REASON, failingSince: state.failingSince } };
  }
  const since = state.failingSince;
  if (outcome.successes === 0 && since !== null && now - since >= disableAfterMs) {
    const reason = `The endpoint failed every attempt for ${describeWindow(disableAfterMs)} since ${new Date(since).toISOString()}`;
    return { state, verdict: { disable: true, reason, failingSince: since } };
  }
  return { state, verdict: { disable: false, reason: null, failingSince: since } };
}
