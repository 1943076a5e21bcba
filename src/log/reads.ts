import type { EndpointRow } from "../db/endpoints";
import type { AttemptFilter, AttemptStore } from "./attempt-store";
import type { AppConfig } from "./config-cache";
import type { MessageFilter, MessageStore, StoredMessage } from "./message-store";
import { deliveryKey } from "./outbox";
import { type AttemptRow, destinationStatus, type MessageRow, type MessageStatus } from "./records";
import type { WaitingStore } from "./waiting";

/** Messages read per call when an endpoint's messages are picked out of the application's. */
export const ENDPOINT_SCAN_LIMIT = 5000;

export interface Destination {
  endpoint: EndpointRow;
  status: MessageStatus;
  nextAttempt: number | null;
}

export type EndpointMessage = MessageRow & { d_status: MessageStatus; d_next: number | null };

/** The API's reads of one log object; each is a range read of its tables. */
export class LogReads {
  constructor(
    private readonly appId: () => string,
    private readonly messages: MessageStore,
    private readonly attempts: AttemptStore,
    private readonly waiting: WaitingStore,
    private readonly sending: (key: string, now: number) => boolean,
  ) {}

  private row(m: StoredMessage): MessageRow {
    return { ...m, app_id: this.appId() };
  }

  /** A message by id, else by eventId. */
  message(idOrEventId: string, now: number): MessageRow | null {
    const m = this.messages.get(idOrEventId, now) ?? this.messages.findByKey("e", idOrEventId, now);
    return m ? this.row(m) : null;
  }

  messagesByIds(ids: string[], now: number): MessageRow[] {
    return ids.flatMap((id) => {
      const m = this.messages.get(id, now);
      return m ? [this.row(m)] : [];
    });
  }

  listMessages(filter: MessageFilter, direction: "ASC" | "DESC", limit: number, now: number): MessageRow[] {
    return this.messages.list(filter, direction, limit, now).map((m) => this.row(m));
  }

  /** The message's destinations that still exist, in id order, with their state. */
  destinations(config: AppConfig, msgId: string, now: number): Destination[] | null {
    const msg = this.messages.get(msgId, now);
    if (!msg) return null;
    const latest = this.attempts.latestOfMessage(msgId);
    return (JSON.parse(msg.destinations) as string[]).flatMap((id) => {
      const endpoint = config.endpoints.get(id);
      if (!endpoint) return [];
      const last = latest.get(id) ?? null;
      return [
        {
          endpoint,
          status: destinationStatus(last, this.sending(deliveryKey(msgId, id), now)),
          nextAttempt: last?.next_attempt_at ?? null,
        },
      ];
    });
  }

  attemptsByMessage(msgId: string, f: AttemptFilter, direction: "ASC" | "DESC", limit: number): AttemptRow[] {
    return this.attempts.listByMessage(msgId, f, direction, limit);
  }

  attemptsByEndpoint(
    endpointId: string,
    f: AttemptFilter,
    direction: "ASC" | "DESC",
    limit: number,
  ): AttemptRow[] {
    return this.attempts.listByEndpoint(endpointId, f, direction, limit);
  }

  endpointHourly(endpointId: string, from: number, to: number): Record<number, [number, number]> {
    return this.attempts.hourlyCounts(endpointId, from, to);
  }

  attempt(msgId: string, attemptId: string): AttemptRow | null {
    return this.attempts.get(msgId, attemptId);
  }

  /**
   * The messages fanned out to an endpoint, with the delivery's state: the application's
   * messages in id order, picked by destination. At most ENDPOINT_SCAN_LIMIT messages are read
   * per call; `scannedTo` then says where the next page starts even if this one is short.
   */
  endpointMessages(
    endpointId: string,
    filter: MessageFilter & { status?: number },
    direction: "ASC" | "DESC",
    limit: number,
    now: number,
  ): { rows: EndpointMessage[]; scannedTo: string | null } {
    const rows: EndpointMessage[] = [];
    let cursor = filter.cursor;
    let read = 0;
    while (read < ENDPOINT_SCAN_LIMIT) {
      const chunk = Math.min(500, ENDPOINT_SCAN_LIMIT - read);
      const page = this.messages.list({ ...filter, cursor, endpointId }, direction, chunk - 1, now);
      read += chunk;
      for (const m of page) {
        const last = this.attempts.latest(m.id, endpointId);
        const status = destinationStatus(last, this.sending(deliveryKey(m.id, endpointId), now));
        if (filter.status !== undefined && status !== filter.status) continue;
        rows.push({ ...this.row(m), d_status: status, d_next: last?.next_attempt_at ?? null });
        if (rows.length > limit) return { rows, scannedTo: null };
      }
      if (page.length < chunk) return { rows, scannedTo: null };
      cursor = page[page.length - 1]?.id ?? cursor;
    }
    return { rows, scannedTo: cursor };
  }

  /**
   * Counts of an endpoint's deliveries by state, for messages created in [fromId, toId): the
   * attempted ones from the endpoint's attempts, the others (pending, or sending a first
   * attempt) from the messages past the outbox's watermark (every message below it has had
   * each destination attempted), the scheduled ones and those the rate limit parked.
   */
  endpointStats(
    endpointId: string,
    range: { fromId: string; toId: string; watermark: string },
    now: number,
  ): Record<MessageStatus, number> {
    const { fromId, toId } = range;
    const counts: Record<MessageStatus, number> = { 0: 0, 1: 0, 2: 0, 3: 0 };
    const attempted = new Set<string>();
    for (const a of this.attempts.latestByEndpoint(endpointId, fromId, toId)) {
      attempted.add(a.msg_id);
      counts[destinationStatus(a, this.sending(deliveryKey(a.msg_id, endpointId), now))]++;
    }
    const unattempted = new Set<string>();
    const inRange = (id: string) => id >= fromId && id < toId && !attempted.has(id);
    // The later of the two ids (strings: Math.max does not apply).
    const from = [range.watermark, fromId].sort().at(-1) ?? fromId;
    const candidates = [
      ...this.messages.scan(from, toId, ENDPOINT_SCAN_LIMIT),
      ...this.messages.scheduled(0, Number.MAX_SAFE_INTEGER, ENDPOINT_SCAN_LIMIT),
    ];
    for (const m of candidates) {
      if (inRange(m.id) && (JSON.parse(m.destinations) as string[]).includes(endpointId))
        unattempted.add(m.id);
    }
    for (const w of this.waiting.due(Number.MAX_SAFE_INTEGER, ENDPOINT_SCAN_LIMIT)) {
      if (w.endpoint_id === endpointId && inRange(w.msg_id)) unattempted.add(w.msg_id);
    }
    for (const id of unattempted) {
      counts[destinationStatus(null, this.sending(deliveryKey(id, endpointId), now))]++;
    }
    return counts;
  }
}
