// The benchmark's printed table and its one-line summary (whose form issue 5 fixes).
import { fixed } from "./stats.mjs";

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
    ["e2e fan-out 1", results.e2e?.fanout1],
    ["e2e fan-out 10", results.e2e?.fanout10],
    ["e2e fan-out 1, throttleRate", results.throttled],
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
      ["DO storage rows written", (o) => o.perDelivery.doRowsWritten],
      ["outbound fetches", (o) => o.perDelivery.outboundFetches],
      [
        "consumer batch size (mean)",
        (o) => o.consumerBatches.messages / (o.consumerBatches.count || Number.NaN),
      ],
      ["max D1 round trips / batch", (o) => o.consumerBatches.maxD1RoundTrips],
      ["  of which batch() calls (max)", (o) => o.consumerBatches.maxD1Batches],
      ["max DO calls / endpoint / batch", (o) => o.consumerBatches.maxDoCallsPerObject],
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
      ["  of which DO requests + storage", (o) => o.usdPerMillion.doRequests + o.usdPerMillion.doStorage],
    ];
    if (ops.length) {
      out.push(
        table(
          "Operations per delivery",
          ["per delivery", ...ops.map(([name]) => name)],
          rows.map(([label, get]) => [label, ...ops.map(([, p]) => two(get(p.operations)))]),
        ),
      );
    }
  }
  return out.join("\n");
}

export function summaryLine(results) {
  const f1 = results.e2e?.fanout1;
  const f10 = results.e2e?.fanout10;
  const e2ePhases = [f1, f10, results.throttled].filter(Boolean);
  const sum = (key) => (e2ePhases.length ? e2ePhases.reduce((a, p) => a + p[key], 0) : Number.NaN);
  const ops = f1?.operations;
  const fields = [
    ["ingest_rps", int(results.ingest?.edgehook.rps)],
    ["baseline_rps", int(results.ingest?.baseline.rps)],
    ["ingest_ratio", two(results.ingest?.ratio)],
    ["e2e_p50_ms", int(f1?.latencyMs.p50)],
    ["e2e_p99_ms", int(f1?.latencyMs.p99)],
    ["deliveries_per_s", int(f10?.deliveriesPerSecond)],
    ["lost", int(sum("lost"))],
    ["duplicates", int(sum("duplicates") + (results.ingestDrain?.duplicates ?? 0))],
    ["d1_rows_written_per_delivery", two(ops?.perDelivery.d1RowsWritten)],
    ["do_calls_per_delivery", two(ops?.perDelivery.doCalls)],
    ["queue_ops_per_delivery", two(ops?.perDelivery.queueOps)],
    ["usd_per_million", two(ops?.usdPerMillion.total)],
  ];
  return `bench: ${fields.map(([k, v]) => `${k}=${v}`).join(" ")}`;
}
