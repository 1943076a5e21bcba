import { Webhook } from "standardwebhooks";
import { Svix } from "svix";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTestCa, type RelayProcess, startRelay, type TestCa } from "./egress-relay-helpers";
import { freePort, type Gateway, type Receiver, startGateway, startReceiver } from "./harness";

// The worker under wrangler dev sends through the real relay program (relay/main.mjs) to an
// https receiver on a test CA made here; only the relay trusts that CA (NODE_EXTRA_CA_CERTS in
// its environment) and only the relay resolves the receiver's name, receiver.example.com
// (RELAY_HOSTS): a delivery that arrives came through the relay. One gateway per scenario,
// since the relay list and secret are the gateway's configuration; receiver and relays are shared.
//
// A replayed relay request is not reachable from here: the worker gives every attempt a fresh
// relay id and timestamp. relay/test/deliver.test.mjs sends the same signed request twice instead.

const RELAY_SECRET = "e2e-relay-secret-0123456789abcdefghijkl";
const HOST = "receiver.example.com";

let ca: TestCa;
let receiver: Receiver & { port: number };
/** Private destinations allowed (the receiver is on 127.0.0.1). */
let relay: RelayProcess;
/** Private destinations not allowed, as in production, and https on the test CA. */
let strictRelay: RelayProcess;

const paths = (path: string) => receiver.requests.filter((q) => q.path === path);
const target = (path: string) => `https://${HOST}:${receiver.port}${path}`;

beforeAll(async () => {
  ca = makeTestCa([HOST]);
  receiver = await startReceiver(
    (req) =>
      req.path === "/redirect"
        ? { status: 302, headers: { location: target("/elsewhere") }, body: "moved" }
        : { status: 202, body: "accepted" },
    { tls: ca },
  );
  const common = {
    RELAY_SECRET,
    RELAY_ALLOWED_PORTS: String(receiver.port),
    RELAY_HOSTS: `${HOST}=127.0.0.1`,
    // Set before the relay starts: Node reads it once, at start.
    NODE_EXTRA_CA_CERTS: ca.caFile,
  };
  relay = await startRelay({ ...common, RELAY_ALLOW_PRIVATE_DESTINATIONS: "true" });
  strictRelay = await startRelay({
    ...common,
    RELAY_ALLOW_PRIVATE_DESTINATIONS: "false",
    RELAY_TLS_CERT_FILE: ca.certFile,
    RELAY_TLS_KEY_FILE: ca.keyFile,
  });
});
afterAll(async () => {
  await relay?.stop();
  await strictRelay?.stop();
  await receiver?.close();
  ca?.remove();
});

/** A gateway in EGRESS_RELAY_MODE=all over `relays`, with `vars` added. */
async function relayedGateway(relays: string[], secret = RELAY_SECRET, vars: Record<string, string> = {}) {
  const gateway = await startGateway({
    EGRESS_RELAY_MODE: "all",
    EGRESS_RELAYS: relays.join(","),
    EGRESS_RELAY_SECRET: secret,
    ...vars,
  });
  return { gateway, svix: new Svix(gateway.token, { serverUrl: gateway.url }) };
}

/** An application of its own, with one endpoint at the receiver's `path`. */
async function appWithEndpoint(svix: Svix, path: string) {
  const app = await svix.application.create({ name: `relay e2e ${path}` });
  const endpoint = await svix.endpoint.create(app.id, { url: target(path) });
  return { appId: app.id, endpointId: endpoint.id };
}

/** [status, responseStatusCode, response] of a message's attempts, once `done` holds for them. */
async function attempts(svix: Svix, appId: string, msgId: string, done: (n: number) => boolean) {
  let rows: [number, number, string][] = [];
  await expect
    .poll(
      async () => {
        const { data } = await svix.messageAttempt.listByMsg(appId, msgId, { withContent: true });
        rows = data.map((a) => [a.status, a.responseStatusCode, a.response]);
        return done(rows.length) && rows.every(([s]) => s !== 1 && s !== 3);
      },
      { timeout: 30_000, interval: 250 },
    )
    .toBe(true);
  return rows;
}

describe("through the relay to an https receiver (first relay down)", () => {
  let gateway: Gateway;
  let svix: Svix;

  beforeAll(async () => {
    const down = `http://127.0.0.1:${await freePort()}`;
    ({ gateway, svix } = await relayedGateway([down, relay.url]));
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it("delivers every message, signed, and records the receiver's status", async () => {
    const { appId, endpointId } = await appWithEndpoint(svix, "/hook");
    const { key } = await svix.endpoint.getSecret(appId, endpointId);
    const sent = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        svix.message.create(appId, { eventType: "order.paid", payload: { i } }),
      ),
    );
    const ids = () => new Set(paths("/hook").map((q) => String(q.headers["webhook-id"])));
    await receiver.waitFor(() => ids().size >= sent.length, 60_000, gateway);
    expect(ids()).toEqual(new Set(sent.map((m) => m.id)));

    const wh = new Webhook(key);
    for (const req of paths("/hook")) {
      expect(req.headers.host).toBe(`${HOST}:${receiver.port}`);
      expect(req.headers["user-agent"]).toMatch(/^Edgehook\//);
      // The relay's own connection handling: one connection per delivery.
      expect(req.headers.connection).toBe("close");
      const payload = wh.verify(req.body, req.headers as Record<string, string>) as { i: number };
      expect(typeof payload.i).toBe("number");
    }
    const relayed = relay.lines.filter((l) => l.path === "/v1/deliver" && l.status === 200);
    expect(relayed.length).toBeGreaterThanOrEqual(sent.length);
    expect(relayed.every((l) => l.targetHost === HOST)).toBe(true);

    const first = sent[0]?.id as string;
    expect(await attempts(svix, appId, first, (n) => n >= 1)).toEqual([[0, 202, "accepted"]]);
  });

  it("does not follow a redirect: the attempt records the 302 as a failure", async () => {
    const { appId } = await appWithEndpoint(svix, "/redirect");
    const msg = await svix.message.create(appId, { eventType: "order.paid", payload: { redirect: true } });
    // Every retry of the schedule (RETRY_SCHEDULE=1,1,1): four attempts, all the 302.
    const rows = await attempts(svix, appId, msg.id, (n) => n >= 4);
    expect(rows.map(([s, code]) => [s, code])).toEqual(Array(4).fill([2, 302]));
    expect(paths("/redirect").filter((q) => q.headers["webhook-id"] === msg.id)).toHaveLength(4);
    expect(paths("/elsewhere")).toHaveLength(0);
  });
});

describe("a gateway whose relay secret is not the relay's", () => {
  let gateway: Gateway;
  let svix: Svix;

  beforeAll(async () => {
    ({ gateway, svix } = await relayedGateway([relay.url], "not-the-relay-secret-0123456789abcdef"));
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it("is refused by the relay (bad_signature): nothing reaches the receiver, the attempt fails", async () => {
    const { appId } = await appWithEndpoint(svix, "/wrong-secret");
    const msg = await svix.message.create(appId, { eventType: "order.paid", payload: {} });
    const rows = await attempts(svix, appId, msg.id, (n) => n >= 1);
    for (const [status, code, response] of rows) {
      expect([status, code]).toEqual([2, 0]);
      expect(response).toMatch(/egress relays unavailable: .*401 bad_signature/);
    }
    expect(relay.lines.some((l) => l.status === 401 && l.code === "bad_signature")).toBe(true);
    expect(paths("/wrong-secret")).toHaveLength(0);
  });
});

describe("a relay that does not allow private destinations", () => {
  let gateway: Gateway;
  let svix: Svix;

  // The gateway does not allow private destinations either, so its relay is https (workerd
  // trusts the test CA through NODE_EXTRA_CA_CERTS, read when it starts). receiver.example.com
  // passes the worker's guard, a public-looking name (the worker has no DNS): the check after
  // resolution, in the relay, is the one that refuses it.
  beforeAll(async () => {
    process.env.NODE_EXTRA_CA_CERTS = ca.caFile;
    try {
      ({ gateway, svix } = await relayedGateway([strictRelay.url], RELAY_SECRET, {
        ALLOW_PRIVATE_DESTINATIONS: "false",
        ALLOWED_DESTINATION_PORTS: String(receiver.port),
      }));
    } finally {
      delete process.env.NODE_EXTRA_CA_CERTS;
    }
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it("refuses a name that resolves to 127.0.0.1 and the attempt records the failure", async () => {
    const { appId } = await appWithEndpoint(svix, "/private");
    const msg = await svix.message.create(appId, { eventType: "order.paid", payload: {} });
    const rows = await attempts(svix, appId, msg.id, (n) => n >= 1);
    for (const [status, code, response] of rows) {
      expect([status, code]).toEqual([2, 0]);
      expect(response).toMatch(/egress relay .* refused: destination_blocked/);
    }
    expect(strictRelay.lines.some((l) => l.code === "destination_blocked" && l.targetHost === HOST)).toBe(
      true,
    );
    expect(paths("/private")).toHaveLength(0);
  });
});
