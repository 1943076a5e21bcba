import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { Webhook } from "standardwebhooks";
import { Svix } from "svix";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, type Gateway, type Receiver, startGateway, startReceiver } from "./harness";

// The worker under wrangler dev sends through the real relay program (relay/main.mjs). The
// endpoint's host name, receiver.test, resolves only inside the relay (RELAY_HOSTS): a delivery
// that arrives came through the relay. The first relay listed is down: failover, nothing lost.

const ROOT = new URL("../..", import.meta.url).pathname;
const RELAY_SECRET = "e2e-relay-secret-0123456789abcdefghijkl";

interface RelayProcess {
  url: string;
  lines: Record<string, unknown>[];
  stop(): Promise<void>;
}

/** Starts `node relay/main.mjs` on a free port and waits for its `listening` line. */
async function startRelay(vars: Record<string, string>): Promise<RelayProcess> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [join(ROOT, "relay/main.mjs")], {
    env: {
      ...process.env,
      RELAY_SECRET,
      RELAY_LISTEN_HOST: "127.0.0.1",
      RELAY_PORT: String(port),
      ...vars,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: Record<string, unknown>[] = [];
  let errors = "";
  child.stderr?.on("data", (c: Buffer) => {
    errors += c.toString();
  });
  let partial = "";
  child.stdout?.on("data", (c: Buffer) => {
    partial += c.toString();
    const complete = partial.split("\n");
    partial = complete.pop() ?? "";
    for (const line of complete) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  const deadline = Date.now() + 10_000;
  while (!lines.some((l) => l.event === "listening")) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`relay did not start: ${errors}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    lines,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

describe("deliveries through the egress relay (EGRESS_RELAY_MODE=all, first relay down)", () => {
  let receiver: Receiver;
  let relay: RelayProcess;
  let gateway: Gateway;
  let svix: Svix;
  let receiverPort: string;

  beforeAll(async () => {
    receiver = await startReceiver(() => ({ status: 202, body: "accepted" }));
    receiverPort = new URL(receiver.url).port;
    relay = await startRelay({
      RELAY_ALLOW_PRIVATE_DESTINATIONS: "true",
      RELAY_ALLOWED_PORTS: receiverPort,
      RELAY_HOSTS: "receiver.test=127.0.0.1",
    });
    const down = `http://127.0.0.1:${await freePort()}`;
    gateway = await startGateway({
      EGRESS_RELAY_MODE: "all",
      EGRESS_RELAYS: `${down},${relay.url}`,
      EGRESS_RELAY_SECRET: RELAY_SECRET,
    });
    svix = new Svix(gateway.token, { serverUrl: gateway.url });
  });
  afterAll(async () => {
    await gateway?.stop();
    await relay?.stop();
    await receiver?.close();
  });

  it("delivers every message, signed, and records the receiver's status", async () => {
    const app = await svix.application.create({ name: "relay e2e" });
    const endpoint = await svix.endpoint.create(app.id, { url: `http://receiver.test:${receiverPort}/hook` });
    const { key } = await svix.endpoint.getSecret(app.id, endpoint.id);
    const sent = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        svix.message.create(app.id, { eventType: "order.paid", payload: { i } }),
      ),
    );
    const ids = () => new Set(receiver.requests.map((q) => String(q.headers["webhook-id"])));
    await receiver.waitFor(() => ids().size >= sent.length, 60_000, gateway);
    expect(ids()).toEqual(new Set(sent.map((m) => m.id)));

    const wh = new Webhook(key);
    for (const req of receiver.requests) {
      expect(req.headers.host).toBe(`receiver.test:${receiverPort}`);
      expect(req.headers["user-agent"]).toMatch(/^Edgehook\//);
      // The relay's own connection handling: one connection per delivery.
      expect(req.headers.connection).toBe("close");
      expect(typeof (wh.verify(req.body, req.headers as Record<string, string>) as { i: number }).i).toBe(
        "number",
      );
    }
    const relayed = relay.lines.filter((l) => l.path === "/v1/deliver" && l.status === 200);
    expect(relayed.length).toBeGreaterThanOrEqual(sent.length);
    expect(relayed.every((l) => l.targetHost === "receiver.test" && l.upstreamStatus === 202)).toBe(true);

    const first = sent[0]?.id as string;
    await expect
      .poll(
        async () =>
          (await svix.messageAttempt.listByMsg(app.id, first)).data.map((a) => [
            a.status,
            a.responseStatusCode,
          ]),
        { timeout: 10_000 },
      )
      .toEqual([[0, 202]]);
  });
});
