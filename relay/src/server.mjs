// The relay's HTTP(S) server (README.md, "Protocol"): `GET /health`, and `POST /v1/deliver`,
// which authenticates the worker, checks the target and sends the delivery. One JSON log line
// per request, with no payload, header value, query string or secret in it.

import { createServer as createHttpServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { checkedAddress, parseTarget, RelayError } from "./destination.mjs";
import { forward } from "./forward.mjs";
import { ReplayCache, signatureMatches } from "./signature.mjs";

export const DELIVER_PATH = "/v1/deliver";
const METHODS = new Set(["POST", "PUT", "PATCH"]);

function send(res, status, payload) {
  const text = JSON.stringify(payload);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** The raw request body, or a RelayError past the size limit. */
function readBody(req, limit) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on("data", (chunk) => {
      size += chunk.length;
      if (size > limit) {
        reject(new RelayError(413, "request_too_large", `The request body exceeds ${limit} bytes.`));
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** Refuses the request unless it is signed, fresh, and not seen before. */
function authenticate(req, raw, config, replays) {
  const id = req.headers["x-relay-id"];
  const timestamp = req.headers["x-relay-timestamp"];
  const target = req.headers["x-relay-target"];
  const signature = req.headers["x-relay-signature"];
  if (!id || !timestamp || !target || !signature) {
    throw new RelayError(
      401,
      "missing_signature",
      "X-Relay-Id, -Timestamp, -Target and -Signature are required.",
    );
  }
  if (!/^[A-Za-z0-9_.:-]{1,128}$/.test(id) || !/^\d{1,12}$/.test(timestamp)) {
    throw new RelayError(401, "bad_signature", "The relay id or timestamp is malformed.");
  }
  const fields = { method: req.method, path: DELIVER_PATH, id, timestamp, target, body: raw };
  if (!signatureMatches(config.secrets, signature, fields)) {
    throw new RelayError(401, "bad_signature", "The relay signature does not match.");
  }
  const ts = Number(timestamp);
  const now = Math.floor(config.now() / 1000);
  if (Math.abs(now - ts) > config.replayWindowSeconds || ts < config.startedAt) {
    throw new RelayError(401, "stale_timestamp", "The relay timestamp is outside the replay window.");
  }
  const admitted = replays.admit(id, ts, now);
  if (admitted === "replayed")
    throw new RelayError(409, "replayed", "This relay request id was already used.");
  if (admitted === "full") throw new RelayError(503, "overloaded", "The relay's replay cache is full.");
  return { id, target };
}

const isStringMap = (v) =>
  typeof v === "object" &&
  v !== null &&
  !Array.isArray(v) &&
  Object.values(v).every((x) => typeof x === "string");

/** The delivery in the body: {url, method?, headers?, body, timeoutMs?}. */
function parseDelivery(raw, signedTarget, config) {
  let d;
  try {
    d = JSON.parse(raw.toString("utf8"));
  } catch {
    throw new RelayError(400, "bad_request", "The body is not JSON.");
  }
  const bad = (detail) => new RelayError(400, "bad_request", detail);
  if (typeof d !== "object" || d === null) throw bad("The body must be a JSON object.");
  if (d.url !== signedTarget) throw bad("url must equal the signed X-Relay-Target.");
  const method = d.method ?? "POST";
  if (!METHODS.has(method)) throw bad("method must be POST, PUT or PATCH.");
  const headers = d.headers ?? {};
  if (!isStringMap(headers)) throw bad("headers must be an object of strings.");
  if (typeof d.body !== "string") throw bad("body must be a string.");
  const timeoutMs = d.timeoutMs ?? config.defaultTimeoutMs;
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw bad("timeoutMs must be a positive integer.");
  return { url: d.url, method, headers, body: d.body, timeoutMs: Math.min(timeoutMs, config.maxTimeoutMs) };
}

/** Checks and sends one delivery within its timeout; the timeout covers DNS, connect and the body. */
async function deliver(delivery, config, log) {
  const target = parseTarget(delivery.url, config.allowedPorts);
  log.targetHost = target.hostname;
  const controller = new AbortController();
  const timer = setTimeout(
    () =>
      controller.abort(
        new RelayError(504, "timeout", `The receiver did not answer within ${delivery.timeoutMs} ms.`),
      ),
    delivery.timeoutMs,
  );
  const aborted = new Promise((_, reject) => {
    controller.signal.addEventListener("abort", () => reject(controller.signal.reason), { once: true });
  });
  aborted.catch(() => {});
  try {
    const address = await Promise.race([checkedAddress(target.hostname, config), aborted]);
    log.address = address;
    return await forward({
      target,
      address,
      method: delivery.method,
      headers: delivery.headers,
      body: delivery.body,
      maxResponseBytes: config.maxResponseBytes,
      ca: config.ca,
      signal: controller.signal,
    });
  } finally {
    clearTimeout(timer);
  }
}

async function handleDeliver(req, res, config, replays, log) {
  const started = config.now();
  const raw = await readBody(req, config.maxRequestBytes);
  const { id, target } = authenticate(req, raw, config, replays);
  log.id = id;
  const delivery = parseDelivery(raw, target, config);
  try {
    const answer = await deliver(delivery, config, log);
    const durationMs = config.now() - started;
    Object.assign(log, { upstreamStatus: answer.status, truncated: answer.truncated });
    send(res, 200, {
      status: answer.status,
      headers: answer.headers,
      body: answer.body.toString("utf8"),
      truncated: answer.truncated,
      durationMs,
    });
  } catch (err) {
    if (err instanceof RelayError) err.durationMs = config.now() - started;
    throw err;
  }
}

async function handle(req, res, config, replays, log) {
  const path = (req.url ?? "/").split("?")[0];
  log.path = path;
  if (path === "/health") {
    if (req.method !== "GET" && req.method !== "HEAD")
      throw new RelayError(405, "method_not_allowed", "Use GET.");
    return send(res, 200, { status: "ok" });
  }
  if (path === DELIVER_PATH) {
    if (req.method !== "POST") throw new RelayError(405, "method_not_allowed", "Use POST.");
    return handleDeliver(req, res, config, replays, log);
  }
  throw new RelayError(404, "not_found", "No such route.");
}

/**
 * The relay as an unstarted server: https when config.tls holds a cert and key, plain http
 * otherwise (behind a TLS-terminating proxy). `config` is what config.mjs builds from the env.
 */
export function createRelay(config) {
  const replays = new ReplayCache(config.replayWindowSeconds);
  const listener = (req, res) => {
    const started = config.now();
    const log = { method: req.method };
    handle(req, res, config, replays, log)
      .catch((err) => {
        const e =
          err instanceof RelayError ? err : new RelayError(500, "internal_error", "The relay failed.");
        if (!(err instanceof RelayError)) log.error = String(err?.message ?? err);
        log.code = e.code;
        const payload = { code: e.code, detail: e.message };
        if (e.durationMs !== undefined) payload.durationMs = e.durationMs;
        if (!res.headersSent) send(res, e.status, payload);
      })
      .finally(() => {
        config.log({
          time: new Date().toISOString(),
          status: res.statusCode,
          ...log,
          ms: config.now() - started,
        });
      });
  };
  return config.tls ? createHttpsServer(config.tls, listener) : createHttpServer(listener);
}
