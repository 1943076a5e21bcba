// The consumer's view of an endpoint's Durable Object. Each call is billed, so these functions
// make no call at all when the endpoint needs neither a limit nor a health update.
// PLACEHOLDER until the Durable Object lands (issue 4): no limit, 410 disables, no health window.

export interface EndpointTraffic {
  appId: string;
  endpointId: string;
  /** The endpoint's throttleRate, else the application's, else null (unlimited). */
  throttleRate: number | null;
  /** Mirror of the object's first-failure time, from the endpoint row (endpoints.failing_since). */
  failingSince: number | null;
}

export interface Permits {
  /** How many of the wanted sends may go now. */
  granted: number;
  /** When the rest may be tried again (ms from now); 0 when all were granted. */
  retryAfterMs: number;
}

/** Asks for `wanted` send permits, once per endpoint per batch. */
export async function acquirePermits(
  _env: Env,
  _ep: EndpointTraffic,
  wanted: number,
  _now: number,
): Promise<Permits> {
  return { granted: wanted, retryAfterMs: 0 };
}

export interface HealthReport {
  successes: number;
  failures: number;
  /** The receiver answered 410 Gone: disable at once. */
  gone: boolean;
}

export interface HealthVerdict {
  /** Disable the endpoint now (410, or failing for the whole window). */
  disable: boolean;
  reason: string | null;
  /** The new value for endpoints.failing_since. */
  failingSince: number | null;
}

/** Whether this batch's outcomes must be reported at all (saves the call on healthy endpoints). */
export function needsHealthReport(ep: EndpointTraffic, report: HealthReport): boolean {
  return report.gone || report.failures > 0 || (report.successes > 0 && ep.failingSince !== null);
}

/** Reports a batch's outcomes for one endpoint, once per endpoint per batch, after sending. */
export async function reportHealth(
  _env: Env,
  ep: EndpointTraffic,
  report: HealthReport,
  now: number,
): Promise<HealthVerdict> {
  if (report.gone)
    return { disable: true, reason: "The endpoint answered 410 Gone", failingSince: ep.failingSince };
  if (report.successes > 0) return { disable: false, reason: null, failingSince: null };
  return { disable: false, reason: null, failingSince: ep.failingSince ?? now };
}
