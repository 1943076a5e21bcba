// Test helpers: a relay on an ephemeral port with a test configuration, a local receiver, and
// a client that signs relay requests the way the worker will (README.md, "Protocol").

import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { hostsMap } from "../src/config.mjs";
import { createRelay, DELIVER_PATH } from "../src/server.mjs";
import { sign } from "../src/signature.mjs";

export const SECRET = "test-relay-secret-0123456789abcdefghij";

function listen(server) {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server.address().port)));
}

/** A started relay; `overrides` replace test defaults; `lines` collects its log lines. */
export async function startRelay(overrides = {}) {
  const lines = [];
  const config = {
    secrets: [SECRET],
    tls: null,
    allowedPorts: [],
    allowPrivate: false,
    hosts: hostsMap(""),
    replayWindowSeconds: 300,
    defaultTimeoutMs: 5_000,
    maxTimeoutMs: 10_000,
    maxRequestBytes: 1_048_576,
    maxResponseBytes: 65_536,
    startedAt: Math.floor(Date.now() / 1000) - 3600,
    now: () => Date.now(),
    log: (line) => lines.push(line),
    ...overrides,
  };
  const server = createRelay(config);
  const port = await listen(server);
  const scheme = config.tls ? "https" : "http";
  return { url: `${scheme}://127.0.0.1:${port}`, lines, close: () => closeServer(server) };
}

function closeServer(server) {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(resolve));
}

/**
 * A local receiver: `handler(req, res, body)` answers; `requests` records what arrived, with
 * the peer address and port the connection came from.
 */
export async function startReceiver(handler) {
  const requests = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      requests.push({
        method: req.method,
        url: req.url,
        headers: req.headers,
        body,
        peer: req.socket.remoteAddress,
      });
      handler(req, res, body);
    });
  });
  const port = await listen(server);
  return { port, requests, close: () => closeServer(server) };
}

/** The fetch options of a relay request signed as the worker signs it (id, timestamp, secret overridable). */
export function signedRequest(delivery, { id = randomUUID(), timestamp, secret = SECRET } = {}) {
  const body = JSON.stringify(delivery);
  const ts = String(timestamp ?? Math.floor(Date.now() / 1000));
  const signature = sign(secret, {
    method: "POST",
    path: DELIVER_PATH,
    id,
    timestamp: ts,
    target: delivery.url,
    body,
  });
  return {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-relay-id": id,
      "x-relay-timestamp": ts,
      "x-relay-target": delivery.url,
      "x-relay-signature": signature,
    },
    body,
  };
}

/** POSTs a signed delivery to the relay; answers {status, json}. */
export async function relay(relayUrl, delivery, options) {
  const res = await fetch(`${relayUrl}${DELIVER_PATH}`, signedRequest(delivery, options));
  return { status: res.status, json: await res.json() };
}
