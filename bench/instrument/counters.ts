// Benchmark-only operation counters. They live in the isolate's module scope: under
// `wrangler dev` the fetch handler, the queue consumer and the Durable Objects of one script
// share one isolate, which bench/run.mjs checks by comparing the calls a stub made with the
// calls the objects received.
import { AsyncLocalStorage } from "node:async_hooks";

/** Which handler's env made the call: every binding is wrapped once per label. */
export type Label = "fetch" | "queue" | "scheduled" | "do";

export interface D1Counts {
  /** Calls that reach the database: each first/all/run/raw/batch/exec is one. */
  roundTrips: number;
  batches: number;
  statements: number;
  rowsRead: number;
  rowsWritten: number;
  /** raw() returns no meta, so its rows are not counted; this says how many were missed. */
  statementsWithoutMeta: number;
  /** Wall time spent waiting on D1 (local D1 runs one query at a time per database). */
  waitMs: number;
}

/** Per consumer invocation, to check "one D1 batch per queue batch" and "one DO call per endpoint". */
export interface BatchStats {
  messages: number;
  startedAt: number;
  /** Sum over the batch's messages of the time from send to this invocation. */
  queueWaitMs: number;
  maxQueueWaitMs: number;
  d1RoundTrips: number;
  d1Batches: number;
  /** Stub calls per object, keyed `${binding}|${id}`. */
  doCallsByObject: Map<string, number>;
  fetches: number;
}

/** Per Durable Object class: what its objects received and did to their storage. */
export interface ClassCounts {
  /** RPC calls and fetches received from outside the object (calls it makes on itself are not). */
  received: number;
  alarms: number;
  instances: number;
  sqlStatements: number;
  sqlRowsRead: number;
  sqlRowsWritten: number;
  /** Rows the KV storage API writes: one per key put or deleted. */
  kvRowsWritten: number;
  /** Rows the KV storage API reads: one per key got, one per entry a list returns. */
  kvRowsRead: number;
  /** setAlarm/deleteAlarm calls (not priced: see bench/README.md). */
  alarmWrites: number;
}

const newClass = (): ClassCounts => ({
  received: 0,
  alarms: 0,
  instances: 0,
  sqlStatements: 0,
  sqlRowsRead: 0,
  sqlRowsWritten: 0,
  kvRowsWritten: 0,
  kvRowsRead: 0,
  alarmWrites: 0,
});

const newD1 = (): D1Counts => ({
  roundTrips: 0,
  batches: 0,
  statements: 0,
  rowsRead: 0,
  rowsWritten: 0,
  statementsWithoutMeta: 0,
  waitMs: 0,
});

function fresh() {
  return {
    since: Date.now(),
    invocations: { fetch: 0, queue: 0, scheduled: 0 },
    /** Responses of the fetch handler by status class ("2xx", "4xx", ...). */
    responses: {} as Record<string, number>,
    d1: { fetch: newD1(), queue: newD1(), scheduled: newD1(), do: newD1() } as Record<Label, D1Counts>,
    queue: {
      sendCalls: 0,
      sendBatchCalls: 0,
      messagesWritten: 0,
      /** Billed units: one per started 64 KB of each message. */
      writeOps: 0,
      bytesWritten: 0,
      messagesRead: 0,
      readOps: 0,
      acks: 0,
      retries: 0,
      deleteOps: 0,
      byQueue: {} as Record<string, { batches: number; messages: number; acks: number; retries: number }>,
      writtenBy: { fetch: 0, queue: 0, scheduled: 0, do: 0 } as Record<Label, number>,
    },
    durableObjects: {
      /** Calls made on stubs (each RPC method call or fetch is a billed request). */
      stubCalls: 0,
      /** Keyed `${binding}.${method}`. */
      stubCallsByMethod: {} as Record<string, number>,
      stubCallsByBinding: {} as Record<string, number>,
      stubCallsBy: { fetch: 0, queue: 0, scheduled: 0, do: 0 } as Record<Label, number>,
      /** Calls the objects received (prototype methods), to check they run in this isolate. */
      received: 0,
      alarms: 0,
      instances: 0,
      /** Keyed `${class}.${method}` (`kv.` for the sync KV API). */
      storageCalls: {} as Record<string, number>,
      sqlStatements: 0,
      sqlRowsRead: 0,
      sqlRowsWritten: 0,
      kvRowsWritten: 0,
      kvRowsRead: 0,
      alarmWrites: 0,
      byClass: {} as Record<string, ClassCounts>,
      /** Alarms per object id (to tell how many objects wake, and how often). */
      alarmsByObject: {} as Record<string, { count: number; first: number; last: number }>,
      /** SQL statements of the local runtime itself (Miniflare's __miniflare_do_name), not counted. */
      localOnlyStatements: 0,
      /** Per statement shape (`${class}: SQL` with day numbers as <day>): where the rows go. */
      sqlByStatement: {} as Record<string, { count: number; rowsRead: number; rowsWritten: number }>,
    },
    outboundFetch: { calls: 0, by: { fetch: 0, queue: 0, scheduled: 0, do: 0 } as Record<Label, number> },
    consumerBatches: {
      count: 0,
      messages: 0,
      maxMessages: 0,
      maxD1RoundTrips: 0,
      maxD1Batches: 0,
      totalD1RoundTrips: 0,
      /** Max stub calls one batch made on one object, per binding (ENDPOINT_STATE: per endpoint). */
      maxDoCallsPerObject: {} as Record<string, number>,
      fetches: 0,
      /** Wall time of the handler (workerd's clock moves on I/O, which is what a batch waits on). */
      totalDurationMs: 0,
      maxDurationMs: 0,
      totalQueueWaitMs: 0,
      maxQueueWaitMs: 0,
    },
  };
}

export type Counters = ReturnType<typeof fresh>;

// Random values are not allowed at global scope in workerd, so the id is drawn on first use.
let isolateId: string | null = null;
export let counters: Counters = fresh();
export const currentBatch = new AsyncLocalStorage<BatchStats>();
/** The handler running now, for calls that do not go through a wrapped env (global fetch). */
export const currentLabel = new AsyncLocalStorage<Label>();

/** The counters of one Durable Object class (created on first use). */
export function classCounts(cls: string): ClassCounts {
  const byClass = counters.durableObjects.byClass;
  byClass[cls] ??= newClass();
  return byClass[cls];
}

/** Adds to a storage counter of the class and to the all-classes total. */
export function countStorage(
  cls: string,
  field: "sqlStatements" | "sqlRowsRead" | "sqlRowsWritten" | "kvRowsRead" | "kvRowsWritten" | "alarmWrites",
  by = 1,
): void {
  counters.durableObjects[field] += by;
  classCounts(cls)[field] += by;
}

type Cursor = SqlStorageCursor<Record<string, SqlStorageValue>>;
/**
 * SQL cursors are lazy (rowsRead grows while the cursor is read): their row counts are read
 * when a snapshot is taken, from the counters current when the statement ran.
 */
let pendingCursors: { cursor: Cursor; shape: string; cls: string; into: Counters }[] = [];
const shapes = new Map<string, string>();

/** `${cls}: ${query}` with whitespace collapsed and day partitions (msg_20425) as <day>. */
function shapeOf(cls: string, query: string): string {
  const key = `${cls}\u0000${query}`;
  let shape = shapes.get(key);
  if (shape === undefined) {
    shape = `${cls}: ${query
      .replace(/\s+/g, " ")
      .replace(/_\d{4,}/g, "_<day>")
      .trim()
      .slice(0, 120)}`;
    if (shapes.size < 1000) shapes.set(key, shape);
  }
  return shape;
}

export function trackCursor(cursor: Cursor, cls: string, query: unknown): void {
  pendingCursors.push({ cursor, shape: shapeOf(cls, String(query)), cls, into: counters });
}

function foldCursors(): void {
  const current = counters;
  const byStatement = current.durableObjects.sqlByStatement;
  for (const { cursor, shape, cls, into } of pendingCursors.splice(0)) {
    if (into !== current) continue; // ran before the last reset
    countStorage(cls, "sqlRowsRead", cursor.rowsRead);
    countStorage(cls, "sqlRowsWritten", cursor.rowsWritten);
    byStatement[shape] ??= { count: 0, rowsRead: 0, rowsWritten: 0 };
    byStatement[shape].count += 1;
    byStatement[shape].rowsRead += cursor.rowsRead;
    byStatement[shape].rowsWritten += cursor.rowsWritten;
  }
}

export function resetCounters(): void {
  pendingCursors = [];
  counters = fresh();
}

export function snapshot() {
  foldCursors();
  isolateId ??= crypto.randomUUID();
  return { isolateId, now: Date.now(), ...counters };
}

export function bump(map: Record<string, number>, key: string, by = 1): void {
  map[key] = (map[key] ?? 0) + by;
}

export function finishBatch(stats: BatchStats): void {
  const b = counters.consumerBatches;
  b.count += 1;
  b.messages += stats.messages;
  b.maxMessages = Math.max(b.maxMessages, stats.messages);
  b.totalD1RoundTrips += stats.d1RoundTrips;
  b.maxD1RoundTrips = Math.max(b.maxD1RoundTrips, stats.d1RoundTrips);
  b.maxD1Batches = Math.max(b.maxD1Batches, stats.d1Batches);
  b.fetches += stats.fetches;
  const duration = Date.now() - stats.startedAt;
  b.totalDurationMs += duration;
  b.maxDurationMs = Math.max(b.maxDurationMs, duration);
  b.totalQueueWaitMs += stats.queueWaitMs;
  b.maxQueueWaitMs = Math.max(b.maxQueueWaitMs, stats.maxQueueWaitMs);
  for (const [key, calls] of stats.doCallsByObject) {
    const binding = key.slice(0, key.indexOf("|"));
    b.maxDoCallsPerObject[binding] = Math.max(b.maxDoCallsPerObject[binding] ?? 0, calls);
  }
}
