import type { EndpointRow } from "../db/endpoints";
import type { DeliveryRef } from "../queue/jobs";
import type { AttemptRow, MessageRow } from "./records";

// What callers and a log object say to each other over RPC.

/** Which object: the application and the shard. Passed on every call (the alarm reads it back). */
export interface Ident {
  appId: string;
  shard: number;
}

export interface IngestRequest {
  /** The uid the caller resolved the application by, checked against the object's copy; null for an id. */
  uid: string | null;
  message: Omit<MessageRow, "app_id" | "destinations">;
  idempotencyKey: string | null;
  /** Fan out to this endpoint only (send-example), whatever its filters. */
  onlyEndpoint?: string;
}

export type IngestResult =
  | { kind: "created" | "duplicate"; message: MessageRow }
  | { kind: "conflict"; detail: string }
  /** The object's copy of the configuration has no such application (deleted, or a stale uid). */
  | { kind: "unknown_app" };

export interface AppThrottle {
  id: string;
  uid: string | null;
  throttle_rate: number | null;
  /** The application's egressRelay opt-in (1: its endpoints' deliveries may go through the relays). */
  egress_relay: number;
}

export type ClaimVerdict =
  /** `lease` identifies this consumer's hold on the delivery: report it back with the outcome. */
  | { kind: "send"; payload: string | null; eventId: string | null; endpoint: EndpointRow; lease: string }
  | { kind: "drop"; reason: string }
  | { kind: "defer"; delayMs: number };

export interface ClaimResult {
  app: AppThrottle | null;
  verdicts: ClaimVerdict[];
}

export interface RecordReport {
  attempts: {
    row: AttemptRow;
    /** Seconds until the next attempt, or null when none follows. */
    retryDelaySeconds: number | null;
    /** Attempts made in this run including this one: the next job's step. */
    n: number;
    /** The lease the claim gave, released with the record (absent: nothing to release). */
    lease?: string;
  }[];
  /**
   * Jobs that go back to the queue unattempted, after the delay: sent back by the rate limit
   * (with the lease their consumer held), or held back by another consumer's lease (without).
   */
  deferred: { ref: DeliveryRef; delaySeconds: number; lease?: string }[];
  /** Claimed jobs that ended without an attempt: their leases are returned. */
  released: { ref: DeliveryRef; lease: string }[];
}

export interface RecoverTask {
  taskId: string;
  endpointId: string;
  /** Message creation bounds, unix ms: [since, until). */
  since: number;
  until: number;
  /** The last message id already handled. */
  cursor: string | null;
}
