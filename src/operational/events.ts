// Operational webhooks (Svix event names and payload shapes) sent to OPERATIONAL_WEBHOOK_URL
// through the deliveries queue. PLACEHOLDER until issue 4: events are built but not sent.
export type OperationalEventType =
  | "endpoint.created"
  | "endpoint.updated"
  | "endpoint.deleted"
  | "endpoint.disabled"
  | "message.attempt.exhausted"
  | "message.attempt.failing"
  | "message.attempt.recovered";

export interface OperationalEvent {
  type: OperationalEventType;
  /** The event's `data` object, in Svix's shape for that type. */
  data: Record<string, unknown>;
}

/** Enqueues operational webhooks; does nothing when OPERATIONAL_WEBHOOK_URL is unset. */
export async function emitOperational(_env: Env, _events: OperationalEvent[]): Promise<void> {}
