// Platform operations per delivery and the cost per million deliveries, from the counters the
// instrumented worker kept during one phase (GET /__bench/counters).
import { PRICES } from "../prices.mjs";

const LABELS = ["fetch", "queue", "scheduled", "do"];

function sumD1(counters, field) {
  return LABELS.reduce((n, label) => n + (counters.d1[label]?.[field] ?? 0), 0);
}

/** Totals of one phase's counters, per delivery and in USD per million deliveries. */
export function operationsPerDelivery(counters, deliveries) {
  const q = counters.queue;
  const d = counters.durableObjects;
  const inv = counters.invocations;
  const totals = {
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
    doAlarms: d.alarms,
    // The sync KV API may run through the object's SQL internally, so the two views of the
    // same rows are not added: the larger one is billed.
    doRowsWritten: Math.max(d.sqlRowsWritten, d.kvRowsWritten),
    doRowsRead: Math.max(d.sqlRowsRead, d.kvRowsRead),
    outboundFetches: counters.outboundFetch.calls,
  };
  const usd = {
    workersRequests: totals.workersRequests * PRICES.workersRequest,
    queue: totals.queueOps * PRICES.queueOperation,
    d1RowsWritten: totals.d1RowsWritten * PRICES.d1RowWritten,
    d1RowsRead: totals.d1RowsRead * PRICES.d1RowRead,
    doRequests: (totals.doCalls + totals.doAlarms) * PRICES.durableObjectRequest,
    doStorage:
      totals.doRowsWritten * PRICES.durableObjectRowWritten + totals.doRowsRead * PRICES.durableObjectRowRead,
  };
  const per = (n) => (deliveries > 0 ? n / deliveries : 0);
  const perDelivery = Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, per(v)]));
  // Prices are per million units, so USD per unit * 1e6 per million deliveries cancels out.
  const usdPerMillion = Object.fromEntries(Object.entries(usd).map(([k, v]) => [k, per(v)]));
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
    doStorageCalls: d.storageCalls,
  };
}
