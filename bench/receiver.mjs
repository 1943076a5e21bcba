// The benchmark's webhook receiver, run as a child process of run.mjs (so that its work does
// not share an event loop with the load generator). It answers every request 200 and records
// (path, webhook-id, receipt time). Times are performance.timeOrigin + performance.now(), the
// same clock run.mjs uses for send times.
// IPC: run.mjs sends {type, id, ...}; the receiver answers {type: "reply", id, ...}.
//   {type: "count", prefix}          -> {total, unique}
//   {type: "records", prefix}        -> {records: [[path, webhookId, t], ...]}
//   {type: "secret", path, secret}   -> verify the signatures of the first deliveries to path
import { createServer } from "node:http";
import { Webhook } from "standardwebhooks";

const VERIFY_FIRST = 5;
const now = () => performance.timeOrigin + performance.now();

/** path -> [[webhookId, t], ...] */
const byPath = new Map();
/** path -> { webhook, checked, failures } */
const verifiers = new Map();

function record(path, id, t) {
  let list = byPath.get(path);
  if (!list) {
    list = [];
    byPath.set(path, list);
  }
  list.push([id, t]);
}

function verify(path, body, headers) {
  const v = verifiers.get(path);
  if (!v || v.checked >= VERIFY_FIRST) return;
  v.checked += 1;
  try {
    v.webhook.verify(body, {
      "webhook-id": headers["webhook-id"],
      "webhook-timestamp": headers["webhook-timestamp"],
      "webhook-signature": headers["webhook-signature"],
    });
  } catch {
    v.failures += 1;
  }
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const t = now();
    const path = req.url ?? "";
    record(path, String(req.headers["webhook-id"] ?? ""), t);
    if (verifiers.has(path)) verify(path, Buffer.concat(chunks).toString("utf8"), req.headers);
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("ok");
  });
});
server.keepAliveTimeout = 60_000;

function matching(prefix) {
  return [...byPath.entries()].filter(([path]) => path.startsWith(prefix));
}

function answer(message) {
  switch (message.type) {
    case "count": {
      let total = 0;
      let unique = 0;
      for (const [, list] of matching(message.prefix)) {
        total += list.length;
        unique += new Set(list.map(([id]) => id)).size;
      }
      return { total, unique };
    }
    case "records": {
      const records = [];
      for (const [path, list] of matching(message.prefix)) {
        for (const [id, t] of list) records.push([path, id, t]);
      }
      return { records };
    }
    case "secret":
      verifiers.set(message.path, { webhook: new Webhook(message.secret), checked: 0, failures: 0 });
      return {};
    case "signatures": {
      let checked = 0;
      let failures = 0;
      for (const [path, v] of verifiers) {
        if (!path.startsWith(message.prefix)) continue;
        checked += v.checked;
        failures += v.failures;
      }
      return { checked, failures };
    }
    default:
      return { error: `unknown message ${message.type}` };
  }
}

process.on("message", (message) => {
  process.send?.({ type: "reply", id: message.id, ...answer(message) });
});
process.on("disconnect", () => process.exit(0));

server.listen(0, "127.0.0.1", () => {
  process.send?.({ type: "ready", port: server.address().port });
});
