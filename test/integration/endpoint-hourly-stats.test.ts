import { afterEach, describe, expect, it, vi } from "vitest";
import type { DeliveryRef } from "../../src/queue/jobs";
import { api, createApp, json } from "../helpers";
import { drained, mockReceiver, pack, runDeliveries, sentDeliveries, spySendBatch } from "./consumer-helpers";
import { createEndpoint, createMessage, RECEIVER } from "./delivery-fixtures";

// The portal's delivery chart reads GET .../endpoint/{id}/stats/hourly: attempts per hour,
// successes and failures, and the endpoint's health fields on EndpointOut.

type Hourly = { data: { hour: string; success: number; fail: number }[] };
type Endpoint = { id: string; failingSince: string | null; disabledReason: string | null; disabled: boolean };

const HOUR_MS = 3_600_000;

afterEach(() => {
  vi.restoreAllMocks();
});

/** An application whose first endpoint fails twice (two messages) and whose second succeeds twice. */
async function delivered() {
  const send = spySendBatch();
  const app = await createApp();
  const failing = await createEndpoint(app.id, { url: `${RECEIVER}/failing` });
  const ok = await createEndpoint(app.id, { url: `${RECEIVER}/ok` });
  await createMessage(app.id);
  await createMessage(app.id);
  await drained(app.id);
  const refs: DeliveryRef[] = sentDeliveries(send)
    .filter((d) => d.appId === app.id)
    .map(({ m, e, p, n, t }) => ({ m, e, p, n, t }));
  expect(refs).toHaveLength(4);
  mockReceiver((req) => new Response("", { status: req.url.endsWith("/ok") ? 200 : 500 }));
  await runDeliveries([pack(app.id, refs)]);
  await drained(app.id);
  return { app, failing, ok };
}

const hourly = (appId: string, endpointId: string, query = "") =>
  api("GET", `/api/v1/app/${appId}/endpoint/${endpointId}/stats/hourly${query}`);

describe("endpoint hourly stats", () => {
  it("counts each endpoint's attempts in the hour they were made, successes apart from failures", async () => {
    const { app, failing, ok } = await delivered();
    const failed = await json<Hourly>(await hourly(app.id, failing.id));
    const succeeded = await json<Hourly>(await hourly(app.id, ok.id));
    const total = (h: Hourly, k: "success" | "fail") => h.data.reduce((n, d) => n + d[k], 0);
    expect([total(failed, "success"), total(failed, "fail")]).toEqual([0, 2]);
    expect([total(succeeded, "success"), total(succeeded, "fail")]).toEqual([2, 0]);
    // The counts sit in the current hour, the last entry; every hour of the day is listed.
    const thisHour = new Date(Math.floor(Date.now() / HOUR_MS) * HOUR_MS).toISOString();
    expect(failed.data.at(-1)).toEqual({ hour: thisHour, success: 0, fail: 2 });
    expect(failed.data.length).toBeGreaterThanOrEqual(24);
    expect(failed.data.length).toBeLessThanOrEqual(25);
    const hours = failed.data.map((d) => Date.parse(d.hour));
    expect(hours.every((h, i) => i === 0 || h - (hours[i - 1] as number) === HOUR_MS)).toBe(true);
  });

  it("answers only the hours of the range asked for: an earlier day has no attempts", async () => {
    const { app, failing } = await delivered();
    const until = new Date(Date.now() - 2 * 86_400_000).toISOString();
    const since = new Date(Date.now() - 9 * 86_400_000).toISOString();
    const res = await hourly(app.id, failing.id, `?since=${since}&until=${until}`);
    expect(res.status).toBe(200);
    const body = await json<Hourly>(res);
    expect(body.data.length).toBeGreaterThanOrEqual(7 * 24);
    expect(body.data.every((d) => d.success === 0 && d.fail === 0)).toBe(true);
  });

  it("refuses a range over 7 days, an empty range, and another application's endpoint", async () => {
    const { app, failing } = await delivered();
    const now = Date.now();
    const iso = (ms: number) => new Date(ms).toISOString();
    const tooLong = await hourly(app.id, failing.id, `?since=${iso(now - 8 * 86_400_000)}&until=${iso(now)}`);
    expect(tooLong.status).toBe(422);
    const empty = await hourly(app.id, failing.id, `?since=${iso(now)}&until=${iso(now - 1000)}`);
    expect(empty.status).toBe(422);
    const other = await createApp();
    expect((await hourly(other.id, failing.id)).status).toBe(404);
  });

  it("shows on EndpointOut since when an endpoint fails, and nothing for a healthy one", async () => {
    const { app, failing, ok } = await delivered();
    const get = async (id: string) =>
      json<Endpoint>(await api("GET", `/api/v1/app/${app.id}/endpoint/${id}`));
    const bad = await get(failing.id);
    expect(bad.failingSince).not.toBeNull();
    expect(Date.parse(bad.failingSince as string)).toBeLessThanOrEqual(Date.now());
    expect(bad.disabledReason).toBeNull();
    const good = await get(ok.id);
    expect(good.failingSince).toBeNull();
    expect(good.disabledReason).toBeNull();
  });
});
