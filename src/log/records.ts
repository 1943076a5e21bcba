// The rows a log object keeps, as its callers see them. Times are unix ms; ids are the
// time-ordered ids of src/lib/ids.ts, so an id range is a time range.

/** Svix's MessageStatus. An attempt is success or fail; a destination also pending or sending. */
export const STATUS = { success: 0, pending: 1, fail: 2, sending: 3 } as const;
export type MessageStatus = (typeof STATUS)[keyof typeof STATUS];
export const STATUS_TEXT = ["success", "pending", "fail", "sending"] as const;

export interface MessageRow {
  app_id: string;
  id: string;
  event_type: string;
  event_id: string | null;
  /** JSON array, or null. */
  channels: string | null;
  /** JSON array, or null. */
  tags: string | null;
  /** The payload as JSON text; null once expunged or past its retention. */
  payload: string | null;
  /** JSON array of the endpoint ids the message fanned out to: its destinations. */
  destinations: string;
  created_at: number;
  /** When the payload is purged. */
  expires_at: number;
  /** Scheduled delivery (MessageIn.deliverAt), or null to deliver at once. */
  deliver_at: number | null;
}

/** A message as a log object keeps it (the application is the object's). */
export type StoredMessage = Omit<MessageRow, "app_id">;

export type AttemptRow = {
  msg_id: string;
  endpoint_id: string;
  id: string;
  url: string;
  /** 0 success or 2 fail: every attempt has its own outcome. */
  status: number;
  /** 0 when no HTTP response was received. */
  response_status_code: number;
  response: string;
  response_duration_ms: number;
  /** 0 scheduled, 1 manual. */
  trigger_type: number;
  /** When the delivery is retried after this attempt; null once a later attempt exists or none follows. */
  next_attempt_at: number | null;
  created_at: number;
};

/** A destination's state: its latest attempt decides; none yet is pending. */
export interface DestinationState {
  endpoint_id: string;
  status: MessageStatus;
  next_attempt_at: number | null;
  last_attempt: AttemptRow | null;
}

export function destinationStatus(latest: AttemptRow | null, sending: boolean): MessageStatus {
  if (sending) return STATUS.sending;
  if (!latest) return STATUS.pending;
  if (latest.status === STATUS.success) return STATUS.success;
  return latest.next_attempt_at !== null ? STATUS.pending : STATUS.fail;
}
