import { Webhook } from "standardwebhooks";
import { Svix } from "svix";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createState,
  type Gateway,
  type GatewayState,
  launchGateway,
  type Receiver,
  startReceiver,
} from "./harness";

// A crash in the middle of a burst: `wrangler dev` (wrangler, workerd and all) is killed with
// SIGKILL while the svix client is still sending, then started again on the same state folder
// and port. The local queue lives in workerd's memory, so every job it held is gone; what the
// log objects committed (each message that got a 2xx) must still reach the receiver, through the
// log object's alarm (the outbox), within OUTBOX_RECOVERY_SECONDS plus a margin.
const RECOVERY_SECONDS = 10;
const TOTAL = 400;
const CONCURRENCY = 20;
/** The gateway is killed once this many messages were accepted. */
const KILL_AFTER = 200;
/**
 * The recovery time plus 10 s for the consumer to work through ~200 recovered deliveries on this
 * machine (the restart itself is not counted: it ends before the clock starts). Measured: 5-6 s.
 */
const DELIVERED_WITHIN_MS = RECOVERY_SECONDS * 1000 + 10_000;

describe(`crash recovery (SIGKILL mid-burst, OUTBOX_RECOVERY_SECONDS ${RECOVERY_SECONDS})`, () => {
  let state: GatewayState;
  let gateway: Gateway | null = null;
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await startReceiver();
    state = await createState({ OUTBOX_RECOVERY_SECONDS: String(RECOVERY_SECONDS) });
    gateway = await launchGateway(state);
  });
  afterAll(async () => {
    await gateway?.stop();
    await receiver?.close();
    state?.remove();
  });

  it("delivers every message that got a 2xx, after a restart on the same state folder", async () => {
    const first = gateway as Gateway;
    const svix = new Svix(first.token, { serverUrl: first.url });
    const app = await svix.application.create({ name: "crash" });
    const endpoint = await svix.endpoint.create(app.id, { url: `${receiver.url}/crash` });
    const { key: secret } = await svix.endpoint.getSecret(app.id, endpoint.id);

    // --- the burst, with the crash in its middle ------------------------------------------
    const accepted = new Map<string, number>(); // message id -> payload index
    const refused: string[] = [];
    let next = 0;
    let killing: Promise<void> | null = null;
    let receivedBeforeKill = new Set<string>();
    const sender = async () => {
      while (next < TOTAL) {
        const i = next++;
        try {
          const msg = await svix.message.create(app.id, { eventType: "crash.test", payload: { i } });
          accepted.set(msg.id, i);
          if (accepted.size >= KILL_AFTER && killing === null) {
            receivedBeforeKill = new Set(receiver.requests.map((r) => String(r.headers["webhook-id"])));
            killing = first.kill();
          }
        } catch (err) {
          refused.push(`${i}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, sender));
    await killing;
    expect(killing, "the gateway was killed during the burst").not.toBeNull();
    // The kill landed in the middle: some messages were accepted, later ones were refused.
    expect(accepted.size).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(refused.length).toBeGreaterThan(0);
    const requestsAtKill = receiver.requests.length;
    // Accepted but not received before the crash: these must come through the outbox.
    const missingAtKill = [...accepted.keys()].filter((id) => !receivedBeforeKill.has(id));
    console.info(
      `crash: ${accepted.size} accepted, ${refused.length} refused, ` +
        `${receivedBeforeKill.size} received before the kill, ${missingAtKill.length} accepted and not yet received`,
    );

    // The crash reached workerd too: nothing listens on the port any more.
    await expect(fetch(`${first.url}/api/v1/health`)).rejects.toThrow();
    // Some accepted deliveries were cut off (else the restart would prove nothing): the local
    // queue held their jobs in workerd's memory, so only the log objects' outbox can send them.
    expect(missingAtKill.length).toBeGreaterThan(0);
    // Nothing is sent while the gateway is down.
    await new Promise((r) => setTimeout(r, 500));
    const quiet = receiver.requests.length;

    // --- restart on the same state folder and port ----------------------------------------
    const restartedAt = Date.now();
    gateway = await launchGateway(state, { port: first.port });
    const second = gateway;
    const readyAt = Date.now();
    expect(second.url).toBe(first.url);

    const acceptedIds = new Set(accepted.keys());
    const received = () => new Set(receiver.requests.map((r) => String(r.headers["webhook-id"])));
    await receiver
      .waitFor(() => {
        const got = received();
        return [...acceptedIds].every((id) => got.has(id));
      }, DELIVERED_WITHIN_MS)
      .catch((err: Error) => {
        const got = received();
        const lost = [...acceptedIds].filter((id) => !got.has(id));
        throw new Error(
          `${err.message}: ${lost.length} of ${acceptedIds.size} accepted messages not delivered ` +
            `(e.g. ${lost.slice(0, 3).join(", ")})\nlog after restart:\n${second.log().slice(-6000)}`,
        );
      });
    const recoveredMs = Date.now() - readyAt;
    // Let late duplicates (a redelivered job beside its outbox copy) arrive before counting.
    await new Promise((r) => setTimeout(r, 3000));

    // --- what the receiver got ------------------------------------------------------------
    const wh = new Webhook(secret);
    const idsByIndex = new Map<number, Set<string>>();
    const countById = new Map<string, number>();
    for (const req of receiver.requests) {
      const id = String(req.headers["webhook-id"]);
      const payload = wh.verify(req.body, req.headers as Record<string, string>) as { i: number };
      countById.set(id, (countById.get(id) ?? 0) + 1);
      idsByIndex.set(payload.i, (idsByIndex.get(payload.i) ?? new Set()).add(id));
      // An accepted message arrives with the payload it was accepted with.
      const index = accepted.get(id);
      if (index !== undefined) expect(payload.i).toBe(index);
    }
    const duplicates = [...countById.values()].reduce((n, c) => n + c - 1, 0);
    const extra = [...countById.keys()].filter((id) => !acceptedIds.has(id)).length;
    console.info(
      `restart took ${readyAt - restartedAt} ms; all accepted messages delivered ${recoveredMs} ms after it; ` +
        `${receiver.requests.length} requests (${requestsAtKill} before the kill, ${quiet - requestsAtKill} while down), ` +
        `${countById.size} distinct messages, ${duplicates} duplicates, ` +
        `${extra} delivered messages whose create got no 2xx`,
    );
    // The outbox says what it re-enqueued (console.warn in src/log/app-log.ts tick()).
    const outboxLines = second.log().match(/log outbox re-enqueued deliveries.*/g) ?? [];
    console.info(`outbox after restart: ${outboxLines.length} passes\n${outboxLines.join("\n")}`);
    expect(quiet - requestsAtKill, "requests while the gateway was down").toBe(0);
    // Every duplicate is the same message again (same webhook-id): a payload index never
    // arrives under two message ids, so no POST retry created a second message.
    for (const [i, ids] of idsByIndex) expect([...ids], `payload ${i}`).toHaveLength(1);
    // The deliveries the crash had cut off came after the restart, within the bound.
    expect(recoveredMs).toBeLessThan(DELIVERED_WITHIN_MS);
  });
});
