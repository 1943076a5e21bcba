// The consumer's view of an endpoint's Durable Object. Each call is billed, so these functions
// make no call at all when the endpoint needs neither a limit nor a health update.
//
// Calls per endpoint per batch:
//   unlimited, healthy                       0
//   limited, healthy                         1 (acquirePermits)
//   unlimited, failing / recovering / 410    1 (reportHealth)
//   limited and failing / recovering / 410   2 (permits are needed before sending, outcomes
//                                              exist only after; merging them would delay a
//                                              410 or a disable to the next batch)
import { getConfig } from "../config";
import type { EndpointState } from "./endpoint-state";
import { type BatchOutcome, GONE_REASON } from "./health";

export interface EndpointTraffic {
  appId: string;
  endpointId: string;
  /** The endpoint's throttleRate, else the application's, else null (unlimited). */
  throttleRate: number | null;
  /** Mirror of the object's first-failure time, from the endpoint row (endpoints.failing_since). */
  failingSince: number | null;
}

/**
 * The answer to acquirePermits. Send `granted` deliveries now; re-queue the rest, WITHOUT an
 * attempt row and without counting an attempt, the i-th deferred one (i = 0, 1, ...) with a
 * delay of `retryAfterMs + i * spacingMs` (as queue delaySeconds: Math.ceil(ms / 1000)).
 * The delays spread returns at the endpoint's rate, in order, behind deliveries deferred
 * earlier. They are hints: a returning delivery asks for a permit again and may be deferred
 * again, so it is never sent above the limit; it is never dropped either.
 */
export interface Permits {
  /** How many of the wanted sends may go now. */
  granted: number;
  /** When the first deferred delivery may be tried again (ms from now); 0 when all were granted. */
  retryAfterMs: number;
  /** Extra delay per further deferred delivery (ms); 0 when all were granted. */
  spacingMs: number;
}

function endpointState(env: Env, endpointId: string): DurableObjectStub<EndpointState> {
  return env.ENDPOINT_STATE.get(env.ENDPOINT_STATE.idFromName(endpointId));
}

/** Asks for `wanted` send permits, once per endpoint per batch. No call when unlimited. */
export async function acquirePermits(
  env: Env,
  ep: EndpointTraffic,
  wanted: number,
  now: number,
): Promise<Permits> {
  if (ep.throttleRate === null || wanted <= 0)
    return { granted: Math.max(0, wanted), retryAfterMs: 0, spacingMs: 0 };
  const decision = await endpointState(env, ep.endpointId).acquire(wanted, ep.throttleRate, now);
  return { granted: decision.granted, retryAfterMs: decision.retryAfterMs, spacingMs: decision.spacingMs };
}

export type HealthReport = BatchOutcome;

export interface HealthVerdict {
  /**
   * Disable the endpoint now (410, or failing for the whole window). Idempotent: a report
   * racing the disable may say so again, so emit endpoint.disabled only when the D1 update
   * actually flipped `disabled` from 0 to 1.
   */
  disable: boolean;
  reason: string | null;
  /** The new value for endpoints.failing_since (also the event's failSince when disabling). */
  failingSince: number | null;
}

/** Whether this batch's outcomes must be reported at all (saves the call on healthy endpoints). */
export function needsHealthReport(ep: EndpointTraffic, report: HealthReport): boolean {
  return report.gone || report.failures > 0 || (report.successes > 0 && ep.failingSince !== null);
}

/** Reports a batch's outcomes for one endpoint, once per endpoint per batch, after sending. */
export async function reportHealth(
  env: Env,
  ep: EndpointTraffic,
  report: HealthReport,
  now: number,
): Promise<HealthVerdict> {
  // Nothing the object would change: answer without the billed call.
  if (!needsHealthReport(ep, report)) return { disable: false, reason: null, failingSince: ep.failingSince };
  const { disableAfterMs } = getConfig(env);
  const verdict = await endpointState(env, ep.endpointId).report(
    { successes: report.successes, failures: report.failures, gone: report.gone },
    now,
    disableAfterMs,
    ep.failingSince,
  );
  return { disable: verdict.disable, reason: verdict.reason, failingSince: verdict.failingSince };
}

/** Forgets an endpoint's failures; call when it is re-enabled (disabled: true -> false). */
export async function resetHealth(env: Env, endpointId: string): Promise<void> {
  await endpointState(env, endpointId).reset();
}

export { GONE_REASON };
