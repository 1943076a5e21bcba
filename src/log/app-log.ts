import { DurableObject } from "cloudflare:workers";
import { getConfig } from "../config";
import type { EndpointRow } from "../db/endpoints";
import { idAt, idTime } from "../lib/ids";
import { enqueueJobs, packDeliveries } from "../queue/enqueue";
import type { DeliveryRef } from "../queue/jobs";
import { MAX_QUEUE_DELAY_SECONDS } from "../queue/limits";
import type { AttemptFilter } from "./attempt-store";
import { AttemptStore } from "./attempt-store";
import { ConfigCache } from "./config-cache";
import { fanOut } from "./fanout";
import { Maintenance } from "./maintenance";
import type { MessageFilter } from "./message-store";
import { type KeyKind, MessageStore, type NewMessage, type StoredMessage } from "./message-store";
import {
  deliveryKey,
  firstJob,
  type OutboxState,
  SCAN_LIMIT,
  scanFirstAttempts,
  scanRetries,
  scanScheduled,
} from "./outbox";
import { PARTITION_MS, Partitions, partitionOfTime, partitionStart } from "./partitions";
import { type Produced, Producer } from "./producer";
import type { ClaimResult, Ident, IngestRequest, IngestResult, RecordReport, RecoverTask } from "./protocol";
import { type Destination, type EndpointMessage, LogReads } from "./reads";
import type { AttemptRow, MessageRow } from "./records";
import { WaitingStore } from "./waiting";

const IDENT_KEY = "ident";
const WATERMARK_KEY = "watermark";
const SCHEDULED_KEY = "scheduled-from";
/** How far the outbox's scan bounds move before they are written down again. */
const BOUND_STEP_MS = 60_000;
/**
 * How long the first ingest of a commit window waits for others before the window's messages
 * are written, as one page row (message-pages.ts). Every row written is billed ($1.00 per
 * million) and a message was one row of its own. 0 is the next turn of the object's event
 * loop: the ingests already waiting for the object join. Measured with `npm run bench`
 * (--quick --seconds 8 --rounds 2): 0 ms packed as well as 3 ms (usd_per_million 1.88 vs 1.91,
 * unkeyed 0.88 vs 0.84) with the same ingest throughput (334 vs 325 requests/s), and no wait.
 */
export const COMMIT_WINDOW_MS = 0;

/** The messages of one commit window, and the ingests waiting for its write. */
interface Commit {
  messages: (NewMessage & { destinations: string[] })[];
  /** "k|<idempotency key>" and "e|<eventId>" -> the buffered message: duplicates see it. */
  keys: Map<string, StoredMessage>;
  written: Promise<void>;
  resolve: () => void;
  reject: (e: unknown) => void;
  /** Set when the application was deleted before the window's write. */
  cancelled?: boolean;
}

/**
 * The per-application (per shard) log: messages, idempotency keys, each (message, endpoint)
 * destination and every attempt, in this object's SQLite database. It is the outbox: what it
 * committed and has not seen attempted, and each retry whose time has come, its alarm hands
 * to the queue again (see outbox.ts). Named `${appId}:${shard}` (see client.ts).
 *
 * Claim and record do their storage work without an await in between, so each runs as one
 * atomic step. Ingests check their keys and fan out at once, then join the open commit window:
 * its messages are written together (one page row) in one transaction, and every ingest of
 * the window answers after that write (or fails with it). Their queue sends are shared too
 * (Producer).
 */
export class AppLog extends DurableObject<Env> {
  private readonly sql = this.ctx.storage.sql;
  private readonly parts = new Partitions(this.sql);
  readonly messages = new MessageStore(this.sql, this.parts);
  readonly attempts = new AttemptStore(this.sql, this.parts, (id) => this.messages.get(id, 0));
  private readonly waiting = new WaitingStore(this.sql);
  private readonly configs = new ConfigCache(this.env.DB);
  private readonly producer = new Producer(this.env.DELIVERIES, (failed) => this.enqueueFailed(failed));
  private readonly reads = new LogReads(
    () => this.ident?.appId ?? "",
    this.messages,
    this.attempts,
    this.waiting,
    (key, now) => (this.leases.get(key)?.until ?? 0) > now,
  );
  private readonly maintenance = new Maintenance(this.parts, this.messages, this.attempts, this.waiting);
  private ident: Ident | null = null;
  /** Deliveries claimed by a consumer and not reported yet: key -> lease end (unix ms) and token. */
  private readonly leases = new Map<string, { until: number; token: string }>();
  /** Deliveries with a job on its way: key -> when the consumer should see it (unix ms). */
  private readonly queued = new Map<string, number>();
  /** The alarm as this object last set it (read once at start-up). */
  private alarmAt: number | null = null;
  /** The open commit window, if an ingest is waiting for one. */
  private commit: Commit | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      this.alarmAt = await ctx.storage.getAlarm();
    });
  }

  // --- ingest ---------------------------------------------------------------------------

  async ingest(ident: Ident, req: IngestRequest): Promise<IngestResult> {
    this.remember(ident);
    const config = await this.configs.get(ident.appId);
    const app = config.app;
    if (!app || (req.uid !== null && app.uid !== req.uid)) return { kind: "unknown_app" };
    const now = Date.now();
    // Keys are checked against what is written and what waits in the open window: a repeated
    // key in the same window answers as the original does, once it is written.
    const open = this.commit;
    if (req.idempotencyKey) {
      const original = this.messages.findByKey("k", req.idempotencyKey, now);
      if (original) return { kind: "duplicate", message: this.row(original) };
      const buffered = open?.keys.get(`k|${req.idempotencyKey}`);
      if (open && buffered) {
        await open.written;
        return { kind: "duplicate", message: this.row(buffered) };
      }
    }
    const m = req.message;
    if (m.event_id) {
      const conflict = {
        kind: "conflict",
        detail: `A message with eventId "${m.event_id}" already exists`,
      } as const;
      if (this.messages.findByKey("e", m.event_id, now)) return conflict;
      if (open?.keys.has(`e|${m.event_id}`)) {
        await open.written;
        return conflict;
      }
    }
    const channels = m.channels ? (JSON.parse(m.channels) as string[]) : null;
    const destinations = req.onlyEndpoint
      ? config.endpoints.has(req.onlyEndpoint)
        ? [req.onlyEndpoint]
        : []
      : fanOut(config.endpoints.values(), m.event_type, channels);
    const stored: StoredMessage = { ...m, destinations: JSON.stringify(destinations) };
    const keys: { kind: KeyKind; key: string }[] = [];
    if (req.idempotencyKey) keys.push({ kind: "k", key: req.idempotencyKey });
    if (m.event_id) keys.push({ kind: "e", key: m.event_id });
    // A payload that expires within a day of its message's day being dropped is never served
    // after its expiry (reads hide it) and goes with the day: no purge write. Shorter
    // retentions are purged at their time (purge_at, a partial index).
    const dayDropped = partitionStart(partitionOfTime(m.created_at) + 1) + this.settings().retentionMs;
    const purgeAt = m.expires_at < dayDropped - PARTITION_MS ? m.expires_at : null;
    const commit = this.openCommit();
    commit.messages.push({ row: stored, keys, purgeAt, destinations });
    for (const k of keys) commit.keys.set(`${k.kind}|${k.key}`, stored);
    await commit.written;
    return { kind: "created", message: this.row(stored) };
  }

  /** The open commit window, opened (and its write scheduled) by the first ingest that needs it. */
  private openCommit(): Commit {
    if (this.commit) return this.commit;
    let resolve: () => void = () => {};
    let reject: (e: unknown) => void = () => {};
    const written = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Every ingest of the window awaits it; this only keeps a failure from reading as unhandled.
    written.catch(() => {});
    const commit: Commit = { messages: [], keys: new Map(), written, resolve, reject };
    this.commit = commit;
    setTimeout(() => this.write(commit), COMMIT_WINDOW_MS);
    return commit;
  }

  /**
   * Writes a window's messages and keys in one transaction, then hands their deliveries to
   * the queue and lets the ingests answer (the output gate holds the answers until the write
   * is durable). A failed write rolls back and fails every ingest of the window.
   */
  private write(commit: Commit): void {
    if (this.commit === commit) this.commit = null;
    if (commit.cancelled) return;
    try {
      this.ctx.storage.transactionSync(() => this.messages.insertMany(commit.messages));
    } catch (e) {
      // The rollback may have undone a day's new tables too: the list of days is read again.
      this.parts.reset();
      commit.reject(e);
      return;
    }
    const now = Date.now();
    for (const { row, destinations } of commit.messages) this.dispatchFirst(row, destinations, now);
    commit.resolve();
  }

  /** Hands a new message's deliveries to the queue (or to the alarm, when scheduled too far out). */
  private dispatchFirst(msg: StoredMessage, destinations: string[], now: number): void {
    const delaySeconds = msg.deliver_at ? Math.ceil((msg.deliver_at - now) / 1000) : 0;
    if (delaySeconds > MAX_QUEUE_DELAY_SECONDS) {
      this.ensureAlarm(msg.deliver_at ?? now);
    } else if (destinations.length > 0) {
      this.produce(
        destinations.map((e) => firstJob(msg.id, e, Math.max(0, delaySeconds))),
        now,
      );
    }
    this.ensureAlarm(now + this.settings().checkMs);
  }

  // --- the consumer's side ----------------------------------------------------------------

  /**
   * Which of these jobs may send now. A job sends only while the attempt it follows is still
   * the delivery's latest and no other consumer holds the delivery: a job whose attempt was
   * already recorded (a redelivered queue message, an outbox copy) is dropped, a delivery
   * another consumer is sending is deferred. Granted deliveries are leased for `leaseMs`.
   */
  async claim(ident: Ident, refs: DeliveryRef[], leaseMs: number): Promise<ClaimResult> {
    this.remember(ident);
    const config = await this.configs.get(ident.appId);
    const now = Date.now();
    const app = config.app
      ? {
          id: config.app.id,
          uid: config.app.uid,
          throttle_rate: config.app.throttle_rate,
          egress_relay: config.app.egress_relay,
        }
      : null;
    const messages = this.messages.getMany(
      refs.map((r) => r.m),
      now,
    );
    const verdicts = refs.map((ref): ClaimResult["verdicts"][number] => {
      const endpoint = config.endpoints.get(ref.e);
      if (!app || !endpoint) return { kind: "drop", reason: "the endpoint or application was deleted" };
      const msg = messages.get(ref.m);
      if (!msg) return { kind: "drop", reason: "the message is gone" };
      const latest = this.attempts.latest(ref.m, ref.e);
      if ((latest?.id ?? null) !== ref.p) return { kind: "drop", reason: "already attempted" };
      const key = deliveryKey(ref.m, ref.e);
      const held = this.leases.get(key);
      if (held !== undefined && held.until > now) return { kind: "defer", delayMs: held.until - now };
      const lease = crypto.randomUUID();
      this.leases.set(key, { until: now + leaseMs, token: lease });
      return {
        kind: "send",
        payload: msg.payload,
        eventId: msg.event_id,
        endpoint: endpoint as EndpointRow,
        lease,
      };
    });
    return { app, verdicts };
  }

  /**
   * Records one consumer batch's outcomes for this object, in one call: the attempts (each
   * with its own status), the retries they call for, and the deliveries the rate limit sent
   * back. Repeating a report changes nothing (attempt ids are the consumer's).
   */
  record(ident: Ident, report: RecordReport): { recorded: number } {
    this.remember(ident);
    const now = Date.now();
    let recorded = 0;
    const follow: Produced[] = [];
    // What was stored: new attempts only, and without a retry when a later attempt exists.
    const stored = new Map(this.attempts.insertAll(report.attempts.map((a) => a.row)).map((a) => [a.id, a]));
    for (const { row, retryDelaySeconds, n, lease } of report.attempts) {
      const key = deliveryKey(row.msg_id, row.endpoint_id);
      this.release(key, lease);
      this.queued.delete(key);
      const kept = stored.get(row.id);
      if (!kept) continue;
      recorded++;
      this.waiting.leave(row.msg_id, row.endpoint_id);
      if (retryDelaySeconds === null || kept.next_attempt_at === null) continue;
      const ref: DeliveryRef = {
        m: row.msg_id,
        e: row.endpoint_id,
        p: row.id,
        n,
        t: row.trigger_type === 1 ? 1 : 0,
      };
      const delaySeconds = Math.ceil(retryDelaySeconds);
      // Longer than the queue can hold: the alarm hands it over when its time comes.
      if (delaySeconds <= MAX_QUEUE_DELAY_SECONDS) follow.push({ ref, delaySeconds });
      else this.ensureAlarm(row.next_attempt_at ?? now);
    }
    for (const { ref, delaySeconds, lease } of report.deferred) {
      this.release(deliveryKey(ref.m, ref.e), lease);
      // A copy whose delivery was attempted meanwhile (by the consumer that held it) is done.
      if ((this.attempts.latest(ref.m, ref.e)?.id ?? null) !== ref.p) continue;
      // The rate limit sent back a first attempt: parked, so the outbox keeps it in view.
      if (lease && ref.p === null) this.waiting.park(ref.m, ref.e, now + delaySeconds * 1000);
      follow.push({ ref, delaySeconds: Math.min(MAX_QUEUE_DELAY_SECONDS, Math.ceil(delaySeconds)) });
    }
    for (const { ref, lease } of report.released) this.release(deliveryKey(ref.m, ref.e), lease);
    this.produce(follow, now);
    this.ensureAlarm(now + this.settings().checkMs);
    return { recorded };
  }

  /** The application or its endpoints changed in D1: the next call reads them again. */
  configChanged(ident: Ident): void {
    this.remember(ident);
    this.configs.invalidate();
  }

  // --- reads, replays and deletions: see reads.ts and maintenance.ts ------------------------

  async getMessage(ident: Ident, idOrEventId: string): Promise<MessageRow | null> {
    await this.ready(ident);
    return this.reads.message(idOrEventId, Date.now());
  }

  async getMessages(ident: Ident, ids: string[]): Promise<MessageRow[]> {
    await this.ready(ident);
    return this.reads.messagesByIds(ids, Date.now());
  }

  async listMessages(ident: Ident, filter: MessageFilter, direction: "ASC" | "DESC", limit: number) {
    await this.ready(ident);
    return this.reads.listMessages(filter, direction, limit, Date.now());
  }

  async destinations(ident: Ident, msgId: string): Promise<Destination[] | null> {
    const config = await this.ready(ident);
    return this.reads.destinations(config, msgId, Date.now());
  }

  async attemptsByMessage(
    ident: Ident,
    msgId: string,
    f: AttemptFilter,
    direction: "ASC" | "DESC",
    limit: number,
  ) {
    await this.ready(ident);
    return this.reads.attemptsByMessage(msgId, f, direction, limit);
  }

  async attemptsByEndpoint(
    ident: Ident,
    endpointId: string,
    f: AttemptFilter,
    direction: "ASC" | "DESC",
    limit: number,
  ) {
    await this.ready(ident);
    return this.reads.attemptsByEndpoint(endpointId, f, direction, limit);
  }

  async getAttempt(ident: Ident, msgId: string, attemptId: string): Promise<AttemptRow | null> {
    await this.ready(ident);
    return this.reads.attempt(msgId, attemptId);
  }

  async endpointMessages(
    ident: Ident,
    endpointId: string,
    filter: MessageFilter & { status?: number },
    direction: "ASC" | "DESC",
    limit: number,
  ): Promise<{ rows: EndpointMessage[]; scannedTo: string | null }> {
    await this.ready(ident);
    return this.reads.endpointMessages(endpointId, filter, direction, limit, Date.now());
  }

  async endpointStats(ident: Ident, endpointId: string, fromId: string, toId: string) {
    await this.ready(ident);
    const watermark = this.ctx.storage.kv.get<string>(WATERMARK_KEY) ?? idAt("msg", 0);
    return this.reads.endpointStats(endpointId, { fromId, toId, watermark }, Date.now());
  }

  /** An endpoint's attempts per hour of [from, to): [successes, failures] by hour number. */
  async endpointHourly(ident: Ident, endpointId: string, from: number, to: number) {
    await this.ready(ident);
    return this.reads.endpointHourly(endpointId, from, to);
  }

  private async ready(ident: Ident) {
    this.remember(ident);
    return this.configs.get(ident.appId);
  }

  expunge(ident: Ident, msgId: string): boolean {
    this.remember(ident);
    return this.messages.expunge(msgId);
  }

  expungeAttempt(ident: Ident, msgId: string, attemptId: string): boolean {
    this.remember(ident);
    return this.attempts.expungeResponse(msgId, attemptId);
  }

  /**
   * Queues one more attempt (trigger manual) of a delivery. The job follows the delivery's
   * latest attempt: if another attempt happens first, that one answers the request. Nothing is
   * recorded here, so a queue failure is the caller's to see.
   */
  async resend(ident: Ident, msgId: string, endpointId: string): Promise<boolean> {
    this.remember(ident);
    const now = Date.now();
    const msg = this.messages.get(msgId, now);
    if (!msg || !(JSON.parse(msg.destinations) as string[]).includes(endpointId)) return false;
    const latest = this.attempts.latest(msgId, endpointId);
    const ref: DeliveryRef = { m: msgId, e: endpointId, p: latest?.id ?? null, n: 0, t: 1 };
    const failed = await enqueueJobs(
      this.env.DELIVERIES,
      packDeliveries(ident.appId, ident.shard, [{ ref, delaySeconds: 0 }]),
    );
    if (failed.length > 0) throw new Error("the delivery queue is unavailable");
    this.queued.set(deliveryKey(msgId, endpointId), now);
    return true;
  }

  /** Starts re-queuing an endpoint's failed deliveries in the background (Svix's recover). */
  async recover(ident: Ident, task: RecoverTask): Promise<void> {
    this.remember(ident);
    await this.ctx.storage.put(`recover:${task.taskId}`, task);
    await this.ctx.storage.setAlarm(Date.now());
    this.alarmAt = Date.now();
  }

  /** Deletes a deleted endpoint's attempts, in bounded steps from the alarm. */
  async forgetEndpoint(ident: Ident, endpointId: string): Promise<void> {
    this.remember(ident);
    this.configs.invalidate();
    await this.ctx.storage.put(`forget:${endpointId}`, endpointId);
    await this.ctx.storage.setAlarm(Date.now());
    this.alarmAt = Date.now();
  }

  /** The application was deleted: everything this object holds goes. */
  async destroy(): Promise<void> {
    // Messages still waiting in the commit window belong to the deleted application: they are
    // not written, and their ingests fail.
    const open = this.commit;
    this.commit = null;
    if (open) {
      open.cancelled = true;
      open.reject(new Error("the application was deleted"));
    }
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.parts.reset();
    this.waiting.reset();
    this.configs.invalidate();
    this.leases.clear();
    this.queued.clear();
    this.ident = null;
    this.alarmAt = null;
  }

  // --- the alarm: outbox, scheduled deliveries, retention, background tasks ------------------

  override async alarm(): Promise<void> {
    this.alarmAt = null;
    const ident = this.ident ?? this.ctx.storage.kv.get<Ident>(IDENT_KEY) ?? null;
    if (!ident) return;
    this.ident = ident;
    const config = await this.configs.get(ident.appId);
    if (!config.app) {
      // The application is gone from D1 (its deletion could not reach this object).
      await this.destroy();
      return;
    }
    await this.tick(Date.now());
  }

  /**
   * One outbox and maintenance pass at `now` (the alarm's; tests and the benchmark pass a
   * clock of their own). Returns how many deliveries it handed to the queue.
   */
  async tick(now: number): Promise<number> {
    const ident = this.ident ?? this.ctx.storage.kv.get<Ident>(IDENT_KEY) ?? null;
    if (!ident) return 0;
    this.ident = ident;
    const config = await this.configs.get(ident.appId);
    const { staleMs, checkMs, retentionMs } = this.settings();
    const state: OutboxState = {
      queued: this.queued,
      leased: (key, at) => (this.leases.get(key)?.until ?? 0) > at,
      endpointExists: (id) => config.endpoints.has(id),
    };
    const kv = this.ctx.storage.kv;
    const watermark = kv.get<string>(WATERMARK_KEY) ?? idAt("msg", 0);
    const first = scanFirstAttempts(
      this.messages,
      this.attempts,
      state,
      (key) => {
        const [m, e] = key.split("|") as [string, string];
        return this.waiting.has(m, e);
      },
      { watermark, now, staleMs },
    );
    // Both bounds only narrow the scans (reads), so they are written when they moved far enough
    // to matter, not at every pass: a stale bound after a restart costs a longer scan, nothing else.
    if (first.watermark !== watermark && idTime(first.watermark) - idTime(watermark) >= BOUND_STEP_MS) {
      kv.put(WATERMARK_KEY, first.watermark);
    }
    const scheduledFrom = kv.get<number>(SCHEDULED_KEY) ?? 0;
    const scheduled = scanScheduled(this.messages, this.attempts, state, {
      from: scheduledFrom,
      now,
      staleMs,
    });
    const nextFrom = scheduled.earliestMissing ?? now - staleMs;
    if (nextFrom - scheduledFrom >= BOUND_STEP_MS) kv.put(SCHEDULED_KEY, nextFrom);
    const waiting = this.waiting
      .due(now - staleMs, SCAN_LIMIT)
      .filter((w) => state.endpointExists(w.endpoint_id) && !this.attempts.latest(w.msg_id, w.endpoint_id))
      .filter((w) => !state.leased(deliveryKey(w.msg_id, w.endpoint_id), now))
      .map((w) => firstJob(w.msg_id, w.endpoint_id));
    const items = [
      ...first.items,
      ...scheduled.items,
      ...scanRetries(this.attempts, state, { now, staleMs }),
      ...waiting,
    ];
    this.produce(items, now);
    await this.producer.drain();
    if (items.length > 0)
      console.warn("log outbox re-enqueued deliveries", ident.appId, ident.shard, items.length);

    this.maintenance.retain(now, retentionMs);
    const more = await this.maintenance.runTasks(
      this.ctx.storage.kv,
      this.env.DB,
      (i) => this.produce(i, now),
      now,
    );
    await this.producer.drain();
    const unsettled =
      !first.complete ||
      first.watermark < idAt("msg", now - staleMs) ||
      this.messages.scan(idAt("msg", now - staleMs), idAt("msg", now + checkMs), 1).length > 0 ||
      scheduled.earliestMissing !== null ||
      this.attempts.due(now, 1).length > 0 ||
      this.waiting.due(Number.MAX_SAFE_INTEGER, 1).length > 0;
    const next = this.nextWake(now, unsettled ? (more || !first.complete ? 1000 : checkMs) : null);
    // The pass has looked at everything: its answer replaces whatever wake was set before.
    this.alarmAt = next;
    if (next === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(next);
    return items.length;
  }

  /** The next time the alarm has work: soon while the outbox is unsettled, else the next due time. */
  private nextWake(now: number, soon: number | null): number | null {
    const candidates = [
      soon === null ? null : now + soon,
      this.attempts.nextDue(now),
      this.messages.nextScheduled(now),
      this.messages.nextPurge(),
      this.maintenance.nextRetention(this.settings().retentionMs),
    ].filter((x): x is number => x !== null);
    return candidates.length ? Math.max(now + 1, Math.min(...candidates)) : null;
  }

  // --- internals --------------------------------------------------------------------------

  /** Ends a consumer's hold on a delivery; a report without the holder's token touches nothing. */
  private release(key: string, token: string | undefined): void {
    if (token !== undefined && this.leases.get(key)?.token === token) this.leases.delete(key);
  }

  private produce(items: Produced[], now: number): void {
    if (!this.ident || items.length === 0) return;
    for (const { ref, delaySeconds } of items)
      this.queued.set(deliveryKey(ref.m, ref.e), now + delaySeconds * 1000);
    this.producer.add(this.ident.appId, this.ident.shard, items);
  }

  private enqueueFailed(items: Produced[]): void {
    // The outbox treats them as never queued: the next alarm hands them over again.
    for (const { ref } of items) this.queued.delete(deliveryKey(ref.m, ref.e));
    this.ensureAlarm(Date.now() + this.settings().checkMs);
  }

  private ensureAlarm(at: number): void {
    if (this.alarmAt !== null && this.alarmAt <= at) return;
    this.alarmAt = at;
    this.ctx.storage.setAlarm(at).catch((err) => {
      // Never an unhandled rejection: the next commit or outbox pass sets the alarm again.
      this.alarmAt = null;
      console.error("log object alarm not set", err instanceof Error ? err.message : err);
    });
  }

  private remember(ident: Ident): void {
    if (this.ident) return;
    this.ident = ident;
    if (!this.ctx.storage.kv.get(IDENT_KEY)) this.ctx.storage.kv.put(IDENT_KEY, ident);
  }

  private settings() {
    const config = getConfig(this.env);
    const recovery = config.outboxRecoveryMs;
    // A delivery lost at time t is re-enqueued by t + recovery: it is stale after 3/4 of it and
    // the alarm looks every 1/4 while work is outstanding.
    return {
      staleMs: Math.floor(recovery * 0.75),
      checkMs: Math.max(1000, Math.floor(recovery / 4)),
      retentionMs: config.logRetentionMs,
    };
  }

  private row(m: StoredMessage): MessageRow {
    return { ...m, app_id: this.ident?.appId ?? "" };
  }

  /** Resolves once every delivery committed so far was handed to the queue (tests, benchmark). */
  drained(): Promise<void> {
    return this.producer.drain();
  }

  /** Bytes of this object's SQLite database (the benchmark's stored bytes per delivery). */
  storageBytes(): number {
    return this.sql.databaseSize;
  }

  /** Test and benchmark access to the stored rows of one attempt. */
  attemptRow(msgId: string, id: string): AttemptRow | null {
    return this.attempts.get(msgId, id);
  }
}
