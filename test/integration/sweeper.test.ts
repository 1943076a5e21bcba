import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { DeliveryJob } from "../../src/delivery/jobs";
import worker from "../../src/index";
import { api, createApp, json } from "../helpers";
import { mockReceiver, runDeliveries, sentJobs, spySendBatch } from "./consumer-helpers";
import { createEndpoint, createMessage, type MessageOut, messageRow, postMessage } from "./delivery-fixtures";

const MINUTE = 60_000;
const DAY = 86_400_000;

afterEach(() => {
  vi.restoreAllMocks();
});

async function tick(scheduledTime: number) {
  await worker.scheduled(
    createScheduledController({ scheduledTime, cron: "* * * * *" }),
    env,
    createExecutionContext(),
  );
}

/** A message whose enqueue failed after the commit: committed, but no job exists. */
async function lostMessage(appId: string, body: Record<string, unknown> = {}) {
  const failing = vi.spyOn(env.DELIVERIES, "sendBatch").mockRejectedValue(new Error("queue down"));
  const res = await postMessage(appId, body);
  expect(res.status).toBe(202);
  failing.mockRestore();
  return json<MessageOut>(res);
}

const jobsFor = (spy: ReturnType<typeof spySendBatch>, appId: string) =>
  sentJobs(spy)
    .map((m) => m.body as DeliveryJob)
    .filter((j) => j.appId === appId);

/**
 * A scheduled time `ms` from now that is not on the hour (the hourly full sweep is tested
 * apart); moved by one minute at most, which keeps 10.5 min inside the 2-minute sweep band.
 */
function notOnTheHour(ms: number) {
  const t = Date.now() + ms;
  return new Date(t).getUTCMinutes() === 0 ? t + MINUTE : t;
}

describe("scheduled sweeper and purge", () => {
  it("re-enqueues a delivery whose enqueue failed, once it is overdue", async () => {
    const app = await createApp();
    const ep = await createEndpoint(app.id);
    const msg = await lostMessage(app.id, { payload: { lost: true } });

    const spy = spySendBatch();
    await tick(notOnTheHour(2 * MINUTE)); // within the grace period: not yet
    expect(jobsFor(spy, app.id)).toEqual([]);
    await tick(notOnTheHour(10.5 * MINUTE));
    const jobs = jobsFor(spy, app.id);
    expect(jobs).toEqual([
      {
        kind: "delivery",
        appId: app.id,
        msgId: msg.id,
        endpointId: ep.id,
        attempt: 0,
        trigger: 0,
        eventId: null,
        payload: JSON.stringify({ lost: true }),
      },
    ]);

    // Once attempted, the delivery is no longer pending.
    mockReceiver(() => new Response("", { status: 200 }));
    await runDeliveries(jobs);
    spy.mockClear();
    await tick(notOnTheHour(12 * MINUTE));
    expect(jobsFor(spy, app.id)).toEqual([]);
  });

  it("checks each recent message in about one tick only, so a late delivery is not multiplied", async () => {
    const app = await createApp();
    await createEndpoint(app.id);
    await lostMessage(app.id);
    const createdAt = Date.now();
    const spy = spySendBatch();
    // In the band [grace, grace + 2 min) a tick re-enqueues; past it, only the hourly full sweep
    // does (ticks that would fall on the hour are skipped to keep this about the band).
    for (const [minutes, expected] of [
      [10.5, 1],
      [11.5, 1],
      [12.5, 0],
      [13.5, 0],
      [20, 0],
    ] as const) {
      const time = createdAt + minutes * MINUTE;
      if (new Date(time).getUTCMinutes() === 0) continue;
      spy.mockClear();
      await tick(time);
      expect(jobsFor(spy, app.id), `tick ${minutes} min after ingest`).toHaveLength(expected);
    }
  });

  it("does not re-enqueue deliveries to an endpoint deleted since", async () => {
    const app = await createApp();
    const kept = await createEndpoint(app.id);
    const deleted = await createEndpoint(app.id);
    await lostMessage(app.id);
    expect((await api("DELETE", `/api/v1/app/${app.id}/endpoint/${deleted.id}`)).status).toBe(204);
    const spy = spySendBatch();
    await tick(notOnTheHour(10.5 * MINUTE));
    expect(jobsFor(spy, app.id).map((j) => j.endpointId)).toEqual([kept.id]);
  });

  it("finds older overdue deliveries in the hourly full sweep only", async () => {
    const app = await createApp();
    await createEndpoint(app.id);
    await lostMessage(app.id);
    const spy = spySendBatch();
    await tick(notOnTheHour(3 * 3_600_000));
    expect(jobsFor(spy, app.id)).toEqual([]);
    const onTheHour = Math.ceil((Date.now() + 3 * 3_600_000) / 3_600_000) * 3_600_000;
    await tick(onTheHour);
    expect(jobsFor(spy, app.id)).toHaveLength(1);
    spy.mockClear();
    await tick(onTheHour + 2 * DAY); // past the 36 h window
    expect(jobsFor(spy, app.id)).toEqual([]);
  });

  it("purges payloads past their retention period and keeps the others", async () => {
    spySendBatch();
    const app = await createApp();
    const short = await createMessage(app.id, { payloadRetentionPeriod: 5, payload: { short: 1 } });
    const long = await createMessage(app.id, { payload: { long: 1 } });
    await tick(notOnTheHour(5 * DAY - MINUTE));
    expect((await messageRow(app.id, short.id))?.payload).not.toBeNull();
    await tick(notOnTheHour(5 * DAY + MINUTE));
    expect((await messageRow(app.id, short.id))?.payload).toBeNull();
    expect((await messageRow(app.id, long.id))?.payload).not.toBeNull();
    await tick(notOnTheHour(90 * DAY + MINUTE));
    expect((await messageRow(app.id, long.id))?.payload).toBeNull();
    expect(await json(await api("GET", `/api/v1/app/${app.id}/msg/${short.id}`))).toMatchObject({
      payload: {},
    });
  });

  it("deletes idempotency keys after 24 hours and keeps eventIds", async () => {
    spySendBatch();
    const app = await createApp();
    await postMessage(app.id, { eventId: "keep-me" }, { "idempotency-key": "drop-me" });
    const keys = () =>
      env.DB.prepare("SELECT kind FROM message_keys WHERE app_id = ?1 ORDER BY kind")
        .bind(app.id)
        .all<{ kind: string }>()
        .then((r) => r.results.map((k) => k.kind));
    expect(await keys()).toEqual(["e", "k"]);
    const onTheHour = Math.ceil((Date.now() + DAY) / 3_600_000) * 3_600_000;
    await tick(onTheHour);
    expect(await keys()).toEqual(["e"]);
  });
});
