// The benchmark's printed table and its one-line summary (whose form issue 5 fixes).
import { STORAGE_USD_PER_GB_MONTH } from "../prices.mjs";
import { fixed } from "./stats.mjs";

/** USD per million deliveries to keep `bytes` per delivery for `days` (30-day months). */
export const storageUsdPerMillion = (bytes, days) =>
  ((bytes * 1e6) / 1e9) * STORAGE_USD_PER_GB_MONTH.durableObjectSqlite * (days / 30);

function table(title, header, rows) {
  const all = [header, ...rows].map((r) => r.map(String));
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r) =>
    r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("  ");
  return [
    `\n${title}`,
    line(all[0]),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...all.slice(1).map(line),
  ].join("\n");
}

const int = (v) => fixed(v, 0);
const two = (v) => fixed(v, 2);

export function formatTables(results) {
  const out = [];
  const ingest = results.ingest;
  if (ingest) {
    out.push(
      table(
        `Ingest: ${results.options.seconds} s x ${results.options.rounds} at ${results.options.connections} connections, ~1 KB body`,
        ["target", "req/s", "p50 ms", "p99 ms", "non-2xx", "errors"],
        [
          [
            "baseline (bare Hono, 202)",
            ...["rps", "p50_ms", "p99_ms", "non2xx", "errors"].map((k) => int(ingest.baseline[k])),
          ],
          [
            "edgehook POST /msg",
            ...["rps", "p50_ms", "p99_ms", "non2xx", "errors"].map((k) => int(ingest.edgehook[k])),
          ],
          ["ratio edgehook/baseline", two(ingest.ratio), "", "", "", ""],
        ],
      ),
    );
  }
  const phases = [
    [`ingest backlog (fan-out ${results.options.ingestFanout})`, results.ingestDrain],
    ["e2e fan-out 1 keyed", results.e2e?.fanout1],
    ["e2e fan-out 1 unkeyed", results.e2e?.fanout1Unkeyed],
    ["e2e fan-out 10", results.e2e?.fanout10],
    ["e2e fan-out 1, throttleRate", results.throttled],
    ...(results.scale?.levels ?? []).map((l) => [`scale-out ${l.apps} apps`, l]),
  ].filter(([, p]) => p);
  if (phases.length) {
    out.push(
      table(
        "Deliveries",
        ["phase", "expected", "delivered", "lost", "dup", "deliv/s", "p50 ms", "p99 ms", "max ms"],
        phases.map(([name, p]) => [
          name,
          p.expected,
          p.delivered,
          p.lost ?? `(${p.pending} pending)`,
          p.duplicates,
          int(p.deliveriesPerSecond),
          int(p.latencyMs?.p50),
          int(p.latencyMs?.p99),
          int(p.latencyMs?.max),
        ]),
      ),
    );
    const ops = phases.filter(([, p]) => p.operations);
    const rows = [
      ["Workers requests", (o) => o.perDelivery.workersRequests],
      ["  consumer invocations", (o) => o.perDelivery.consumerInvocations],
      ["D1 round trips", (o) => o.perDelivery.d1RoundTrips],
      ["D1 statements", (o) => o.perDelivery.d1Statements],
      ["D1 rows written", (o) => o.perDelivery.d1RowsWritten],
      ["D1 rows read", (o) => o.perDelivery.d1RowsRead],
      ["queue messages written", (o) => o.perDelivery.queueMessagesWritten],
      ["queue operations", (o) => o.perDelivery.queueOps],
      ["DO calls", (o) => o.perDelivery.doCalls],
      ["  of which AppLog", (o) => o.perDelivery.appLogCalls],
      ["DO alarms", (o) => o.perDelivery.doAlarms],
      ["DO storage rows written", (o) => o.perDelivery.doRowsWritten],
      ["DO storage rows read", (o) => o.perDelivery.doRowsRead],
      ["AppLog SQL statements", (o) => o.perDelivery.appLogSqlStatements],
      ["outbound fetches", (o) => o.perDelivery.outboundFetches],
      [
        "consumer batch size (mean)",
        (o) => o.consumerBatches.messages / (o.consumerBatches.count || Number.NaN),
      ],
      ["max D1 round trips / batch", (o) => o.consumerBatches.maxD1RoundTrips],
      ["  of which batch() calls (max)", (o) => o.consumerBatches.maxD1Batches],
      ["max DO calls / endpoint / batch", (o) => o.consumerBatches.maxDoCallsPerObject.ENDPOINT_STATE ?? 0],
      ["max DO calls / log object / batch", (o) => o.consumerBatches.maxDoCallsPerObject.APP_LOG ?? 0],
      [
        "consumer batch ms (mean)",
        (o) => o.consumerBatches.totalDurationMs / (o.consumerBatches.count || Number.NaN),
      ],
      ["consumer batch ms (max)", (o) => o.consumerBatches.maxDurationMs],
      [
        "queue wait ms (mean)",
        (o) => o.consumerBatches.totalQueueWaitMs / (o.consumerBatches.messages || Number.NaN),
      ],
      ["queue wait ms (max)", (o) => o.consumerBatches.maxQueueWaitMs],
      ["D1 wait ms / ingest request", (o) => o.timing.d1WaitMsPerIngestRequest],
      ["D1 wait ms / consumer batch", (o) => o.timing.d1WaitMsPerConsumerBatch],
      ["USD per million deliveries", (o) => o.usdPerMillion.total],
      ["  of which queue", (o) => o.usdPerMillion.queue],
      ["  of which D1 rows written", (o) => o.usdPerMillion.d1RowsWritten],
      ["  of which Workers requests", (o) => o.usdPerMillion.workersRequests],
      ["  of which DO requests", (o) => o.usdPerMillion.doRequests],
      ["  of which DO rows written", (o) => o.usdPerMillion.doRowsWritten],
    ];
    if (ops.length) {
      out.push(
        table(
          "Operations per delivery (the phase, before any lifecycle tick)",
          ["per delivery", ...ops.map(([name]) => name)],
          rows.map(([label, get]) => [label, ...ops.map(([, p]) => two(get(p.operations)))]),
        ),
      );
    }
  }
  const lifecycles = [
    ["fan-out 1 keyed", results.e2e?.fanout1],
    ["fan-out 1 unkeyed", results.e2e?.fanout1Unkeyed],
  ].filter(([, p]) => p?.lifecycle);
  if (lifecycles.length) {
    const { payloadDays, retentionDays } = lifecycles[0][1].lifecycle;
    const ticksOf = (p, why) => p.lifecycle.ticks.filter((t) => t.why === why).length;
    const rows = [
      ["stored bytes / delivery", (p) => p.storage.bytesPerDelivery],
      [
        `  storage USD per million, kept ${retentionDays} days`,
        (p) => storageUsdPerMillion(p.storage.bytesPerDelivery, retentionDays),
      ],
      ["log object bytes after the phase", (p) => p.storage.after.storageBytes],
      ["log object bytes after the lifecycle", (p) => p.storage.afterLifecycle.bytes],
      ["payload purges pending after the phase", (p) => p.lifecycle.before.purgePending],
      [
        "ticks (payload purge + retention)",
        (p) => `${ticksOf(p, "payload purge")}+${ticksOf(p, "retention")}`,
      ],
      ["rows left (msg + key + att)", (p) => rowsOf(p.lifecycle.after)],
      ["ticks: DO requests / delivery", (p) => p.lifecycle.operations.perDelivery.doCalls],
      ["ticks: DO rows written / delivery", (p) => p.lifecycle.operations.perDelivery.doRowsWritten],
      ["ticks: DO rows read / delivery", (p) => p.lifecycle.operations.perDelivery.doRowsRead],
      ["ticks: USD per million", (p) => p.lifecycle.operations.usdPerMillion.total],
      ["delivery USD per million", (p) => p.operations.usdPerMillion.total],
      ["lifecycle USD per million", (p) => p.lifecycle.whole.usdPerMillion.total],
      ["  of which DO rows written", (p) => p.lifecycle.whole.usdPerMillion.doRowsWritten],
      ["  of which DO requests", (p) => p.lifecycle.whole.usdPerMillion.doRequests],
      ["  of which queue", (p) => p.lifecycle.whole.usdPerMillion.queue],
      ["  of which Workers requests", (p) => p.lifecycle.whole.usdPerMillion.workersRequests],
    ];
    const cell = (v) => (typeof v === "string" ? v : two(v));
    out.push(
      table(
        `Lifecycle: the phase, then its log object's ticks at payload expiry (+${payloadDays} d) and past retention (+${retentionDays + 1} d)`,
        ["", ...lifecycles.map(([name]) => name)],
        rows.map(([label, get]) => [label, ...lifecycles.map(([, p]) => cell(get(p)))]),
      ),
    );
  }
  if (results.scale?.levels?.length) {
    out.push(
      table(
        `Scale-out: ${results.options.scaleMessages} messages over k applications, one endpoint each`,
        ["applications", "ingest/s", "deliv/s", "vs 1 app", "p50 ms", "p99 ms", "lost", "dup"],
        results.scale.levels.map((l) => [
          l.apps,
          int(l.ingestPerSecond),
          int(l.deliveriesPerSecond),
          two(l.deliveriesPerSecond / results.scale.levels[0].deliveriesPerSecond),
          int(l.latencyMs?.p50),
          int(l.latencyMs?.p99),
          l.lost,
          l.duplicates,
        ]),
      ),
    );
  }
  const idle = results.idle;
  if (idle) {
    out.push(
      table(
        `Idle: ${idle.seconds} s without traffic; ${idle.objectsThatWoke} log objects woke, every ${fixed(idle.alarmPeriodSeconds, 1)} s`,
        ["per alarm", ""],
        [
          ["DO rows written", two(idle.perAlarm.doRowsWritten)],
          ["DO rows read", two(idle.perAlarm.doRowsRead)],
          ["D1 round trips", two(idle.perAlarm.d1RoundTrips)],
          ["D1 rows read", two(idle.perAlarm.d1RowsRead)],
          ["alarms per object-hour", two(idle.alarmsPerObjectHour)],
          ["USD per idle object-month", fixed(idle.usdPerObjectMonth, 4)],
        ],
      ),
    );
  }
  return out.join("\n");
}

const rowsOf = (inv) => inv.messages + inv.keys + inv.attempts;

export function summaryLine(results) {
  const f1 = results.e2e?.fanout1;
  const f1u = results.e2e?.fanout1Unkeyed;
  const f10 = results.e2e?.fanout10;
  const e2ePhases = [f1, f1u, f10, results.throttled, ...(results.scale?.levels ?? [])].filter(Boolean);
  const sum = (key) => (e2ePhases.length ? e2ePhases.reduce((a, p) => a + p[key], 0) : Number.NaN);
  const fields = [
    ["ingest_rps", int(results.ingest?.edgehook.rps)],
    ["baseline_rps", int(results.ingest?.baseline.rps)],
    ["ingest_ratio", two(results.ingest?.ratio)],
    ["e2e_p50_ms", int(f1?.latencyMs.p50)],
    ["e2e_p99_ms", int(f1?.latencyMs.p99)],
    ["deliveries_per_s", int(f10?.deliveriesPerSecond)],
    ["lost", int(sum("lost"))],
    ["duplicates", int(sum("duplicates") + (results.ingestDrain?.duplicates ?? 0))],
    ["usd_per_million", two(f1?.lifecycle?.whole.usdPerMillion.total)],
    ["usd_per_million_unkeyed", two(f1u?.lifecycle?.whole.usdPerMillion.total)],
    ["stored_bytes_per_delivery", int(f1?.storage?.bytesPerDelivery)],
    ["scale_16x", two(results.scale?.scale)],
  ];
  return `bench: ${fields.map(([k, v]) => `${k}=${v}`).join(" ")}`;
}
