// Platform operations per delivery and the cost per million deliveries, from the counters the
// instrumented worker kept during one phase (GET /__bench/counters).
import { PRICES } from "../prices.mjs";

const LABELS = ["fetch", "queue", "scheduled", "do"];

function sumD1(counters, field) {
  return LABELS.reduce((n, label) => n + (counters.d1[label]?.[field] ?? 0), 0);
}

const cls = (counters, name) => counters.durableObjects.byClass?.[name] ?? {};

/** The counted operations of one phase (raw counts, not per delivery). */
export function phaseTotals(counters) {
  const q = counters.queue;
  const d = counters.durableObjects;
  const inv = counters.invocations;
  const log = cls(counters, "AppLog");
  return {
    workersRequests: inv.fetch + inv.queue + inv.scheduled,
    ingestRequests: inv.fetch,
    consumerInvocations: inv.queue,
    d1RoundTrips: sumD1(counters, "roundTrips"),
    d1Statements: sumD1(counters, "statements"),
    d1RowsWritten: sumD1(counters, "rowsWritten"),
    d1RowsRead: sumD1(counters, "rowsRead"),
    d1StatementsWithoutMeta: sumD1(counters, "statementsWithoutMeta"),
    queueMessagesWritten: q.messagesWritten,
    queueOps: q.writeOps + q.readOps + q.deleteOps,
    queueRetries: q.retries,
    doCalls: d.stubCalls,
    appLogCalls: d.stubCallsByBinding?.APP_LOG ?? 0,
    endpointStateCalls: d.stubCallsByBinding?.ENDPOINT_STATE ?? 0,
    doAlarms: d.alarms,
    // SQL cursors count the rows of the statements the code runs; the KV API (which SQLite-
    // backed objects store in a hidden table, outside the SQL API the wrapper sees) is counted
    // per key. The two never see the same row, so they add up.
    doRowsWritten: d.sqlRowsWritten + d.kvRowsWritten,
    doRowsRead: d.sqlRowsRead + d.kvRowsRead,
    appLogRowsWritten: (log.sqlRowsWritten ?? 0) + (log.kvRowsWritten ?? 0),
    appLogRowsRead: (log.sqlRowsRead ?? 0) + (log.kvRowsRead ?? 0),
    appLogSqlStatements: log.sqlStatements ?? 0,
    appLogAlarms: log.alarms ?? 0,
    /** setAlarm/deleteAlarm calls: reported, not priced (see bench/README.md). */
    doAlarmWrites: d.alarmWrites ?? 0,
    outboundFetches: counters.outboundFetch.calls,
  };
}

/** USD of a phase's totals (prices are per million units). */
function usdOf(totals) {
  return {
    workersRequests: totals.workersRequests * PRICES.workersRequest,
    queue: totals.queueOps * PRICES.queueOperation,
    d1RowsWritten: totals.d1RowsWritten * PRICES.d1RowWritten,
    d1RowsRead: totals.d1RowsRead * PRICES.d1RowRead,
    doRequests: (totals.doCalls + totals.doAlarms) * PRICES.durableObjectRequest,
    doRowsWritten: totals.doRowsWritten * PRICES.durableObjectRowWritten,
    doRowsRead: totals.doRowsRead * PRICES.durableObjectRowRead,
  };
}

/** Totals of one phase's counters, per delivery and in USD per million deliveries. */
export function operationsPerDelivery(counters, deliveries) {
  const d = counters.durableObjects;
  const inv = counters.invocations;
  const totals = phaseTotals(counters);
  const per = (n) => (deliveries > 0 ? n / deliveries : 0);
  const perDelivery = Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, per(v)]));
  // Prices are per million units, so USD per unit * 1e6 per million deliveries cancels out.
  const usdPerMillion = Object.fromEntries(Object.entries(usdOf(totals)).map(([k, v]) => [k, per(v)]));
  const total = Object.values(usdPerMillion).reduce((a, b) => a + b, 0);
  return {
    deliveries,
    totals,
    perDelivery,
    usdPerMillion: { ...usdPerMillion, total },
    consumerBatches: counters.consumerBatches,
    timing: {
      d1WaitMsPerIngestRequest: inv.fetch ? counters.d1.fetch.waitMs / inv.fetch : 0,
      d1WaitMsPerConsumerBatch: inv.queue ? counters.d1.queue.waitMs / inv.queue : 0,
    },
    d1ByHandler: counters.d1,
    doCallsByMethod: d.stubCallsByMethod,
    doReceived: d.received,
    doByClass: d.byClass,
    doSqlByStatement: d.sqlByStatement,
    doStorageCalls: d.storageCalls,
  };
}

/** What `later` counted on top of `earlier` (same counters, no reset in between), per delivery. */
export function operationsBetween(earlier, later, deliveries) {
  const a = phaseTotals(earlier);
  const b = phaseTotals(later);
  const totals = Object.fromEntries(Object.entries(b).map(([k, v]) => [k, v - (a[k] ?? 0)]));
  const per = (n) => (deliveries > 0 ? n / deliveries : 0);
  const usd = Object.fromEntries(Object.entries(usdOf(totals)).map(([k, v]) => [k, per(v)]));
  return {
    totals,
    perDelivery: Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, per(v)])),
    usdPerMillion: { ...usd, total: Object.values(usd).reduce((x, y) => x + y, 0) },
  };
}
