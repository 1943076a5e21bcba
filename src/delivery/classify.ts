import type { SendResult } from "./send";

// What one HTTP attempt means for the delivery (DESIGN.md "Delivery semantics").
export type Outcome =
  | { kind: "success" }
  /** 429/502/503/504: retried, honouring Retry-After (seconds, null when absent). */
  | { kind: "throttled"; retryAfterSeconds: number | null }
  /** 410 Gone: the receiver asks us to stop; the endpoint is disabled. */
  | { kind: "gone" }
  /** Any other status (3xx included: redirects are not followed), a network error or a timeout. */
  | { kind: "failed" };

const THROTTLE_STATUSES = new Set([429, 502, 503, 504]);

export function classifyResponse(result: Pick<SendResult, "status" | "retryAfterSeconds">): Outcome {
  const { status } = result;
  if (status === null) return { kind: "failed" };
  if (status >= 200 && status < 300) return { kind: "success" };
  if (status === 410) return { kind: "gone" };
  if (THROTTLE_STATUSES.has(status))
    return { kind: "throttled", retryAfterSeconds: result.retryAfterSeconds };
  return { kind: "failed" };
}
