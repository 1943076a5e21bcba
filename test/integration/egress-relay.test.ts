import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { api, createApp, json } from "../helpers";
import { mockReceiver, pack, runDeliveries, spySendBatch, takeQueued } from "./consumer-helpers";
import { attemptRows, createEndpoint, createMessage, RECEIVER, SECRET } from "./delivery-fixtures";

// Deliveries through the egress relays (relay/README.md, "Protocol"), with fetch spied: the
// worker signs the relay request, records the receiver's answer the relay returns, fails over
// on a relay that is down, and records a destination's refusal without failing over.

const RELAY_SECRET = "test-relay-secret-0123456789abcdefghij";
const RELAY_A = "https://relay-a.example.net";
const RELAY_B = "https://relay-b.example.net";

const relayEnv = (mode: string): Env =>
  ({
    ...env,
    EGRESS_RELAY_MODE: mode,
    EGRESS_RELAYS: `${RELAY_A},${RELAY_B}/`,
    EGRESS_RELAY_SECRET: RELAY_SECRET,
  }) as Env;

afterEach(() => {
  vi.restoreAllMocks();
});

const relayed = (status: number, body = "accepted", headers: Record<string, string> = {}) =>
  Response.json({
    status,
    headers: { "content-type": "text/plain", ...headers },
    body,
    truncated: false,
    durationMs: 5,
  });

const relayError = (status: number, code: string, detail = "refused") =>
  Response.json({ code, detail }, { status });

/** The test's own HMAC over the README's seven-line signed string. */
async function expectedSignature(req: Request, body: string): Promise<string> {
  const enc = new TextEncoder();
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", enc.encode(body)));
  const bodyHash = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  const signed = [
    "edgehook-relay-v1",
    "POST",
    "/v1/deliver",
    req.headers.get("x-relay-id"),
    req.headers.get("x-relay-timestamp"),
    req.headers.get("x-relay-target"),
    bodyHash,
  ].join("\n");
  const key = await crypto.subtle.importKey(
    "raw",
    enc.encode(RELAY_SECRET),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(signed)));
  return `v1=${btoa(String.fromCharCode(...mac))}`;
}

/** One message to the app's endpoints, its deliveries run with `workerEnv`; answers the attempts. */
async function deliver(appId: string, workerEnv: Env, answer: Parameters<typeof mockReceiver>[0]) {
  const send = spySendBatch();
  const msg = await createMessage(appId, { payload: { relayed: true } });
  const queued = await takeQueued(send, appId);
  const fetched = mockReceiver(answer);
  await runDeliveries(
    [
      pack(
        appId,
        queued.map(({ m, e, p, n, t }) => ({ m, e, p, n, t })),
      ),
    ],
    1,
    workerEnv,
  );
  fetched.spy.mockRestore();
  return { msg, requests: fetched.requests, attempts: await attemptRows(appId, msg.id) };
}

describe("egress relay deliveries", () => {
  it("sign the delivery to the first relay and record the receiver's answer it returns", async () => {
    const app = await createApp();
    await createEndpoint(app.id);
    const d = await deliver(app.id, relayEnv("all"), () => relayed(202, "accepted"));

    expect(d.requests).toHaveLength(1);
    const req = d.requests[0] as Request;
    expect(req.url).toBe(`${RELAY_A}/v1/deliver`);
    expect(req.method).toBe("POST");
    expect(req.headers.get("x-relay-target")).toBe(RECEIVER);
    expect(Math.abs(Number(req.headers.get("x-relay-timestamp")) - Date.now() / 1000)).toBeLessThan(60);
    const raw = await req.text();
    expect(req.headers.get("x-relay-signature")).toBe(await expectedSignature(req, raw));

    const body = JSON.parse(raw) as {
      url: string;
      method: string;
      headers: Record<string, string>;
      body: string;
    };
    expect(body.url).toBe(RECEIVER);
    expect(body.method).toBe("POST");
    expect(JSON.parse(body.body)).toEqual({ relayed: true });
    // The webhook the relay forwards verifies with the endpoint's secret, as a direct one would.
    expect(new Webhook(SECRET).verify(body.body, body.headers)).toEqual({ relayed: true });

    expect(d.attempts).toHaveLength(1);
    expect(d.attempts[0]).toMatchObject({
      status: 0,
      response_status_code: 202,
      response: "accepted",
      url: RECEIVER,
    });
  });

  it("record a receiver's failure status relayed as a failed attempt", async () => {
    const app = await createApp();
    await createEndpoint(app.id);
    const d = await deliver(app.id, relayEnv("all"), () => relayed(500, "boom"));
    expect(d.requests).toHaveLength(1);
    expect(d.attempts[0]).toMatchObject({ status: 2, response_status_code: 500, response: "boom" });
  });

  it("fail over to the next relay when the first answers 503 or cannot be reached", async () => {
    for (const down of [
      () => relayError(503, "overloaded"),
      () => new Response("Bad Gateway", { status: 502 }),
      () => {
        throw new TypeError("connection refused");
      },
    ]) {
      const app = await createApp();
      await createEndpoint(app.id);
      const d = await deliver(app.id, relayEnv("all"), (req) =>
        req.url.startsWith(RELAY_A) ? down() : relayed(200, "ok"),
      );
      expect(d.requests.map((r) => new URL(r.url).origin)).toEqual([RELAY_A, RELAY_B]);
      const [first, second] = d.requests as [Request, Request];
      // A new relay request id for the second relay (its replay cache is its own, but ids are never reused).
      expect(second.headers.get("x-relay-id")).not.toBe(first.headers.get("x-relay-id"));
      expect(second.headers.get("x-relay-signature")).toBe(
        await expectedSignature(second, await second.text()),
      );
      expect(d.attempts).toHaveLength(1);
      expect(d.attempts[0]).toMatchObject({ status: 0, response_status_code: 200, response: "ok" });
    }
  });

  it("record destination_blocked as a failed attempt with its reason, without failover", async () => {
    const app = await createApp();
    await createEndpoint(app.id);
    const d = await deliver(app.id, relayEnv("all"), () =>
      relayError(422, "destination_blocked", "receiver.example.com resolves to a non-public address"),
    );
    expect(d.requests).toHaveLength(1);
    expect(d.attempts).toHaveLength(1);
    const attempt = d.attempts[0];
    expect(attempt).toMatchObject({ status: 2, response_status_code: 0 });
    expect(attempt?.response).toContain("destination_blocked");
    expect(attempt?.response).toContain("non-public address");
  });

  it("record a failed attempt naming each relay when all of them are down", async () => {
    const app = await createApp();
    await createEndpoint(app.id);
    const d = await deliver(app.id, relayEnv("all"), () => relayError(500, "internal_error"));
    expect(d.requests).toHaveLength(2);
    expect(d.attempts[0]).toMatchObject({ status: 2, response_status_code: 0 });
    expect(d.attempts[0]?.response).toContain("relay-a.example.net");
    expect(d.attempts[0]?.response).toContain("relay-b.example.net");
  });

  it("in opt-in mode relay only the endpoints that opt in", async () => {
    const app = await createApp();
    const optedIn = await createEndpoint(app.id, { url: "https://in.example.com/hook", egressRelay: true });
    await createEndpoint(app.id, { url: "https://out.example.com/hook" });
    const d = await deliver(app.id, relayEnv("opt-in"), (req) =>
      req.url.startsWith(RELAY_A) ? relayed(200, "via relay") : new Response("direct"),
    );
    expect(d.requests.map((r) => r.url).sort()).toEqual([
      "https://out.example.com/hook",
      `${RELAY_A}/v1/deliver`,
    ]);
    const relayReq = d.requests.find((r) => r.url.startsWith(RELAY_A)) as Request;
    expect(relayReq.headers.get("x-relay-target")).toBe("https://in.example.com/hook");
    const byEndpoint = Object.fromEntries(d.attempts.map((a) => [a.endpoint_id, a.response]));
    expect(byEndpoint[optedIn.id]).toBe("via relay");
  });

  it("in opt-in mode relay every endpoint of an application that opts in", async () => {
    const app = await createApp({ name: "Relayed app", egressRelay: true });
    await createEndpoint(app.id, { url: "https://one.example.com/hook" });
    await createEndpoint(app.id, { url: "https://two.example.com/hook", egressRelay: false });
    const d = await deliver(app.id, relayEnv("opt-in"), (req) =>
      req.url.startsWith(RELAY_A) ? relayed(200, "via relay") : new Response("direct"),
    );
    expect(d.requests.map((r) => r.url)).toEqual([`${RELAY_A}/v1/deliver`, `${RELAY_A}/v1/deliver`]);
    expect(d.requests.map((r) => r.headers.get("x-relay-target")).sort()).toEqual([
      "https://one.example.com/hook",
      "https://two.example.com/hook",
    ]);
    expect(d.attempts.map((a) => a.response)).toEqual(["via relay", "via relay"]);
  });

  it("relay an application's endpoints once it opts in by PATCH", async () => {
    const app = await createApp();
    await createEndpoint(app.id);
    const patched = await api("PATCH", `/api/v1/app/${app.id}`, { egressRelay: true });
    expect(patched.status).toBe(200);
    const d = await deliver(app.id, relayEnv("opt-in"), (req) =>
      req.url.startsWith(RELAY_A) ? relayed(200, "via relay") : new Response("direct"),
    );
    expect(d.requests.map((r) => r.url)).toEqual([`${RELAY_A}/v1/deliver`]);
    expect(d.attempts[0]).toMatchObject({ response_status_code: 200, response: "via relay" });
  });

  it("leave deliveries direct when the mode is off", async () => {
    const app = await createApp();
    await createEndpoint(app.id, { egressRelay: true });
    const d = await deliver(app.id, { ...env, EGRESS_RELAYS: RELAY_A } as Env, () => new Response("direct"));
    expect(d.requests.map((r) => r.url)).toEqual([RECEIVER]);
    expect(d.attempts[0]).toMatchObject({ response_status_code: 200, response: "direct" });
  });
});

describe("the egressRelay endpoint setting", () => {
  it("is answered, patched, and kept by a PUT that does not name it", async () => {
    const app = await createApp();
    const created = await createEndpoint(app.id, { egressRelay: true });
    const base = `/api/v1/app/${app.id}/endpoint/${created.id}`;
    expect((await json<{ egressRelay: boolean }>(await api("GET", base))).egressRelay).toBe(true);
    const put = await api("PUT", base, { url: RECEIVER, description: "svix client" });
    expect((await json<{ egressRelay: boolean }>(put)).egressRelay).toBe(true);
    const patched = await api("PATCH", base, { egressRelay: false });
    expect((await json<{ egressRelay: boolean }>(patched)).egressRelay).toBe(false);
    const plain = await createEndpoint(app.id);
    expect(
      (await json<{ egressRelay: boolean }>(await api("GET", `/api/v1/app/${app.id}/endpoint/${plain.id}`)))
        .egressRelay,
    ).toBe(false);
  });

  it("refuses a non-boolean with a 422 and changes nothing", async () => {
    const app = await createApp();
    const created = await createEndpoint(app.id);
    const base = `/api/v1/app/${app.id}/endpoint/${created.id}`;
    const res = await api("PATCH", base, { egressRelay: "yes" });
    expect(res.status).toBe(422);
    expect((await json<{ egressRelay: boolean }>(await api("GET", base))).egressRelay).toBe(false);
  });
});

describe("the egressRelay application setting", () => {
  const egressOf = async (res: Response) => (await json<{ egressRelay: boolean }>(res)).egressRelay;

  it("is answered, patched, and kept by a PUT that does not name it", async () => {
    const app = await createApp({ name: "Relayed app", egressRelay: true });
    const base = `/api/v1/app/${app.id}`;
    expect(await egressOf(await api("GET", base))).toBe(true);
    const put = await api("PUT", base, { name: "Renamed by a svix client" });
    expect(put.status).toBe(200);
    expect(await egressOf(put)).toBe(true);
    expect(await egressOf(await api("PATCH", base, { egressRelay: false }))).toBe(false);
    expect(await egressOf(await api("PUT", base, { name: "Again", egressRelay: true }))).toBe(true);
    expect(await egressOf(await api("PATCH", base, { name: "Patched" }))).toBe(true);
    const plain = await createApp();
    expect(await egressOf(await api("GET", `/api/v1/app/${plain.id}`))).toBe(false);
  });

  it("refuses a non-boolean with a 422 and changes nothing", async () => {
    const app = await createApp();
    const base = `/api/v1/app/${app.id}`;
    const res = await api("PATCH", base, { egressRelay: "yes" });
    expect(res.status).toBe(422);
    expect(await egressOf(await api("GET", base))).toBe(false);
    expect((await api("POST", "/api/v1/app", { name: "Bad", egressRelay: 1 })).status).toBe(422);
  });
});
