// The few Edgehook API calls the benchmark makes, and the closed-loop message sender of the
// end-to-end phase.
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
  async function call(method, path, body) {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
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

/**
 * Sends `count` messages to app `appId`, `inFlight` at a time. Returns, per message id, the
 * time its ingest request started (the start of the ingest-to-receipt latency).
 */
export async function sendMessages(api, appId, count, inFlight, body) {
  const sentAt = new Map();
  const failures = [];
  let next = 0;
  const started = now();
  async function lane() {
    while (next < count) {
      next += 1;
      const t = now();
      const res = await api.call("POST", `/api/v1/app/${appId}/msg`, body);
      if (res.status >= 200 && res.status < 300 && res.json?.id) sentAt.set(res.json.id, t);
      else failures.push(`${res.status} ${res.text.slice(0, 200)}`);
    }
  }
  await Promise.all(Array.from({ length: inFlight }, lane));
  return { sentAt, failures, started, finished: now() };
}
