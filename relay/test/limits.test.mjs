// The relay's limits: the delivery's timeout (answered as a `timeout` error the worker can
// record) and the response-size cap (the body truncated, flagged as such).

import { afterEach, expect, it } from "vitest";
import { relay, startReceiver, startRelay } from "./helpers.mjs";

const closers = [];
afterEach(async () => {
  while (closers.length) await closers.pop()();
});

async function setup(handler, overrides = {}) {
  const receiver = await startReceiver(handler);
  const relayServer = await startRelay({ allowPrivate: true, allowedPorts: [receiver.port], ...overrides });
  closers.push(receiver.close, relayServer.close);
  return { receiver, relayServer, url: `http://127.0.0.1:${receiver.port}/` };
}

it("answers 504 timeout when the receiver does not answer within timeoutMs", async () => {
  const { relayServer, url } = await setup(() => {
    // Never answers.
  });
  const { status, json } = await relay(relayServer.url, { url, body: "{}", timeoutMs: 200 });
  expect(status).toBe(504);
  expect(json.code).toBe("timeout");
  expect(json.durationMs).toBeGreaterThanOrEqual(200);
});

it("times out a receiver that sends headers but never finishes the body", async () => {
  const { relayServer, url } = await setup((_req, res) => {
    res.writeHead(200);
    res.write("partial");
  });
  const { status, json } = await relay(relayServer.url, { url, body: "{}", timeoutMs: 200 });
  expect(status).toBe(504);
  expect(json.code).toBe("timeout");
});

it("caps timeoutMs at the configured maximum", async () => {
  const { relayServer, url } = await setup(() => {}, { maxTimeoutMs: 150 });
  const { json } = await relay(relayServer.url, { url, body: "{}", timeoutMs: 60_000 });
  expect(json.code).toBe("timeout");
  expect(json.detail).toContain("150 ms");
});

it("truncates a response body past the size cap", async () => {
  const { relayServer, url } = await setup(
    (_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("x".repeat(10_000));
    },
    { maxResponseBytes: 1000 },
  );
  const { status, json } = await relay(relayServer.url, { url, body: "{}" });
  expect(status).toBe(200);
  expect(json.status).toBe(200);
  expect(json.body).toBe("x".repeat(1000));
  expect(json.truncated).toBe(true);
});

it("answers connect_failed when nothing listens", async () => {
  const { receiver, relayServer, url } = await setup(() => {});
  await receiver.close();
  const { status, json } = await relay(relayServer.url, { url, body: "{}" });
  expect(status).toBe(502);
  expect(json.code).toBe("connect_failed");
});
