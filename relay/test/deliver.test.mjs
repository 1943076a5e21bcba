// A signed delivery goes through the relay to its receiver, and the worker gets the receiver's
// answer; unsigned, stale and replayed requests are refused before anything is sent.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { hostsMap } from "../src/config.mjs";
import { DELIVER_PATH } from "../src/server.mjs";
import { relay, SECRET, signedRequest, startReceiver, startRelay } from "./helpers.mjs";

let receiver;
let relayServer;

beforeEach(async () => {
  receiver = await startReceiver((_req, res) => {
    res.writeHead(202, { "content-type": "text/plain", "x-receiver": "yes" });
    res.end("accepted");
  });
  // The receiver's name resolves through the override to the loopback address, which only the
  // private switch (tests only) admits; destination.test.mjs covers the refusal without it.
  relayServer = await startRelay({
    allowPrivate: true,
    allowedPorts: [receiver.port],
    hosts: hostsMap("receiver.example.com=127.0.0.1"),
  });
});

afterEach(async () => {
  await relayServer.close();
  await receiver.close();
});

const delivery = (overrides = {}) => ({
  url: `http://receiver.example.com:${receiver.port}/hooks?x=1`,
  headers: { "webhook-id": "msg_1", "content-type": "application/json" },
  body: '{"type":"invoice.paid"}',
  timeoutMs: 2000,
  ...overrides,
});

describe("POST /v1/deliver", () => {
  it("delivers a signed request through the relay and answers the receiver's status, headers and body", async () => {
    const { status, json } = await relay(relayServer.url, delivery());
    expect(status).toBe(200);
    expect(json).toMatchObject({ status: 202, body: "accepted", truncated: false });
    expect(json.headers["x-receiver"]).toBe("yes");
    expect(typeof json.durationMs).toBe("number");

    expect(receiver.requests).toHaveLength(1);
    const [seen] = receiver.requests;
    // The relay connected itself (to the address it resolved), keeping the name as Host.
    expect(seen.peer).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
    expect(seen.headers.host).toBe(`receiver.example.com:${receiver.port}`);
    expect(seen.method).toBe("POST");
    expect(seen.url).toBe("/hooks?x=1");
    expect(seen.body).toBe('{"type":"invoice.paid"}');
    expect(seen.headers["webhook-id"]).toBe("msg_1");
    expect(seen.headers["x-relay-signature"]).toBeUndefined();
    // Nothing of the relay's own beyond framing: no user-agent, no forwarding headers.
    expect(seen.headers["user-agent"]).toBeUndefined();
    expect(seen.headers["x-forwarded-for"]).toBeUndefined();
    expect(seen.headers.connection).toBe("close");
  });

  it("logs one line per request without payload, query or secret", async () => {
    await relay(relayServer.url, delivery());
    expect(relayServer.lines).toHaveLength(1);
    const [line] = relayServer.lines;
    expect(line).toMatchObject({ status: 200, upstreamStatus: 202, targetHost: "receiver.example.com" });
    const text = JSON.stringify(line);
    for (const secretish of ["invoice.paid", "x=1", SECRET, "msg_1"]) expect(text).not.toContain(secretish);
  });

  it("refuses a bad signature and sends nothing", async () => {
    const { status, json } = await relay(relayServer.url, delivery(), {
      secret: "another-secret-0123456789abcdefghijkl",
    });
    expect(status).toBe(401);
    expect(json.code).toBe("bad_signature");
    expect(receiver.requests).toHaveLength(0);
  });

  it("refuses a body changed after signing", async () => {
    const req = signedRequest(delivery());
    req.body = req.body.replace("invoice.paid", "invoice.void");
    const res = await fetch(`${relayServer.url}${DELIVER_PATH}`, req);
    expect(res.status).toBe(401);
    expect((await res.json()).code).toBe("bad_signature");
    expect(receiver.requests).toHaveLength(0);
  });

  it("refuses a url other than the signed target", async () => {
    const req = signedRequest(delivery());
    req.headers["x-relay-target"] = "http://elsewhere.example.com/";
    const res = await fetch(`${relayServer.url}${DELIVER_PATH}`, req);
    expect(res.status).toBe(401);
    expect(receiver.requests).toHaveLength(0);
  });

  it("refuses an unsigned request", async () => {
    const res = await fetch(`${relayServer.url}${DELIVER_PATH}`, {
      method: "POST",
      body: JSON.stringify(delivery()),
    });
    expect(res.status).toBe(401);
    expect((await res.json()).code).toBe("missing_signature");
    expect(receiver.requests).toHaveLength(0);
  });

  it("refuses a timestamp outside the replay window", async () => {
    const old = Math.floor(Date.now() / 1000) - 301;
    const { status, json } = await relay(relayServer.url, delivery(), { timestamp: old });
    expect(status).toBe(401);
    expect(json.code).toBe("stale_timestamp");
    expect(receiver.requests).toHaveLength(0);
  });

  it("refuses a timestamp from before the relay started (its id cache was empty then)", async () => {
    const fresh = await startRelay({
      allowPrivate: true,
      allowedPorts: [receiver.port],
      startedAt: Math.floor(Date.now() / 1000),
    });
    try {
      const before = Math.floor(Date.now() / 1000) - 5;
      const res = await relay(fresh.url, delivery({ url: `http://127.0.0.1:${receiver.port}/` }), {
        timestamp: before,
      });
      expect(res.json.code).toBe("stale_timestamp");
    } finally {
      await fresh.close();
    }
  });

  it("refuses a replayed request inside the window", async () => {
    const req = signedRequest(delivery());
    const first = await fetch(`${relayServer.url}${DELIVER_PATH}`, req);
    expect(first.status).toBe(200);
    const again = await fetch(`${relayServer.url}${DELIVER_PATH}`, req);
    expect(again.status).toBe(409);
    expect((await again.json()).code).toBe("replayed");
    expect(receiver.requests).toHaveLength(1);
  });

  it("refuses a malformed delivery with 400", async () => {
    const { status, json } = await relay(relayServer.url, delivery({ headers: { a: 1 } }));
    expect(status).toBe(400);
    expect(json.code).toBe("bad_request");
    expect(receiver.requests).toHaveLength(0);
  });
});

describe("GET /health", () => {
  it("answers ok without authentication", async () => {
    const res = await fetch(`${relayServer.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });

  it("answers 404 elsewhere", async () => {
    const res = await fetch(`${relayServer.url}/nope`);
    expect(res.status).toBe(404);
    expect((await res.json()).code).toBe("not_found");
  });
});
