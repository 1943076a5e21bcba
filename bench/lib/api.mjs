// The few Edgehook API calls the benchmark makes, and the closed-loop message sender of the
// end-to-end phases.
import { randomUUID } from "node:crypto";

export const EVENT_TYPE = "bench.event";
export const now = () => performance.timeOrigin + performance.now();

/** A message body of about `bytes` bytes (the issue asks for 1 KB). */
export function messageBody(bytes = 1024) {
  const base = JSON.stringify({ eventType: EVENT_TYPE, payload: { type: EVENT_TYPE, data: "" } });
  return JSON.stringify({
    eventType: EVENT_TYPE,
    payload: { type: EVENT_TYPE, data: "x".repeat(Math.max(0, bytes - base.length)) },
  });
}

export function client(baseUrl, token) {
  async function call(method, path, body, headers = {}) {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      // not JSON
    }
    return { status: res.status, json, text };
  }

  async function must(method, path, body, what) {
    const res = await call(method, path, body);
    if (res.status < 200 || res.status >= 300) {
      throw new Error(`${what}: ${method} ${path} answered ${res.status} ${res.text.slice(0, 300)}`);
    }
    return res.json;
  }

  return {
    call,
    async counters() {
      return must("GET", "/__bench/counters", undefined, "read counters");
    },
    async resetCounters() {
      return must("POST", "/__bench/reset", undefined, "reset counters");
    },
    /** The application's log object (shard 0): storageBytes() and its rows per table kind. */
    async storage(appId) {
      return must("POST", "/__bench/storage", { appId }, "read log storage");
    },
    /** Runs the log object's tick(now): retention and payload purges at clock `now`. */
    async lifecycle(appId, nowMs) {
      return must("POST", "/__bench/lifecycle", { appId, now: nowMs }, "run lifecycle tick");
    },
    /** Creates the event type if the API serves it; ingest does not depend on it. */
    async ensureEventType() {
      const res = await call("POST", "/api/v1/event-type", {
        name: EVENT_TYPE,
        description: "Benchmark event",
      });
      return res.status;
    },
    async createApp(name) {
      return must("POST", "/api/v1/app", { name }, "create application");
    },
    async createEndpoint(appId, url, options = {}) {
      return must(
        "POST",
        `/api/v1/app/${appId}/endpoint`,
        { url, description: "benchmark receiver", ...options },
        "create endpoint",
      );
    },
    /** The endpoint's signing secret, or null when the route is not served. */
    async endpointSecret(appId, endpointId) {
      const res = await call("GET", `/api/v1/app/${appId}/endpoint/${endpointId}/secret`);
      return res.status === 200 ? (res.json?.key ?? null) : null;
    },
  };
}

/** A fresh idempotency key, as the svix client sends with every message it creates. */
export const idempotencyKey = () => `bench-${randomUUID()}`;

/**
 * Sends `count` messages, `inFlight` at a time, message i to application `appOf(i)` (or to
 * `appOf` itself when it is an id), each with a fresh `idempotency-key` unless `keyed` is
 * false. Returns, per message id, the time its ingest request started (the start of the
 * ingest-to-receipt latency) and the application it went to.
 */
export async function sendMessages(api, appOf, count, inFlight, body, { keyed = true } = {}) {
  const appFor = typeof appOf === "function" ? appOf : () => appOf;
  const sentAt = new Map();
  const appById = new Map();
  const failures = [];
  let next = 0;
  const started = now();
  async function lane() {
    while (next < count) {
      const appId = appFor(next);
      next += 1;
      const headers = keyed ? { "idempotency-key": idempotencyKey() } : {};
      const t = now();
      let res;
      try {
        res = await api.call("POST", `/api/v1/app/${appId}/msg`, body, headers);
      } catch (error) {
        failures.push(`network: ${error?.cause?.code ?? error}`);
        continue;
      }
      if (res.status >= 200 && res.status < 300 && res.json?.id) {
        sentAt.set(res.json.id, t);
        appById.set(res.json.id, appId);
      } else failures.push(`${res.status} ${res.text.slice(0, 200)}`);
    }
  }
  await Promise.all(Array.from({ length: inFlight }, lane));
  return { sentAt, appById, failures, started, finished: now() };
}
