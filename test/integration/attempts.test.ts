import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { DeliveryJob, QueueJob, RecoverJob } from "../../src/delivery/jobs";
import { recoverEndpoint } from "../../src/services/deliveries";
import { api, createApp, json } from "../helpers";
import { mockReceiver, runDeliveries, sentJobs, spySendBatch } from "./consumer-helpers";
import { createEndpoint, createMessage, RECEIVER } from "./delivery-fixtures";

type Page<T> = { data: T[]; iterator: string | null; done: boolean };
type Attempt = {
  id: string;
  msgId: string;
  endpointId: string;
  url: string;
  status: number;
  statusText: string;
  responseStatusCode: number;
  response: string;
  triggerType: number;
  timestamp: string;
};

afterEach(() => {
  vi.restoreAllMocks();
});

/** An app with two endpoints and one message; the first endpoint fails, the second succeeds. */
async function scenario() {
  const send = spySendBatch();
  const app = await createApp();
  const failing = await createEndpoint(app.id, { url: `${RECEIVER}/failing` });
  const ok = await createEndpoint(app.id, { url: `${RECEIVER}/ok` });
  const msg = await createMessage(app.id);
  const jobs = sentJobs(send).map((m) => m.body as DeliveryJob);
  send.mockClear();
  mockReceiver(
    (req) =>
      new Response(req.url.endsWith("/ok") ? "fine" : "broken", {
        status: req.url.endsWith("/ok") ? 200 : 500,
      }),
  );
  await runDeliveries(jobs);
  return { app, failing, ok, msg, jobs, send };
}

describe("attempt routes", () => {
  it("lists attempts by message and by endpoint, with status filters", async () => {
    const s = await scenario();
    const byMsg = await json<Page<Attempt>>(
      await api("GET", `/api/v1/app/${s.app.id}/attempt/msg/${s.msg.id}`),
    );
    expect(byMsg.data).toHaveLength(2);
    expect(byMsg.data.map((a) => a.statusText).sort()).toEqual(["pending", "success"]);
    const success = await json<Page<Attempt>>(
      await api("GET", `/api/v1/app/${s.app.id}/attempt/msg/${s.msg.id}?status=0`),
    );
    expect(success.data.map((a) => a.endpointId)).toEqual([s.ok.id]);
    const fiveHundreds = await json<Page<Attempt>>(
      await api("GET", `/api/v1/app/${s.app.id}/attempt/msg/${s.msg.id}?status_code_class=500`),
    );
    expect(fiveHundreds.data.map((a) => a.endpointId)).toEqual([s.failing.id]);
    const oneEndpoint = await json<Page<Attempt>>(
      await api("GET", `/api/v1/app/${s.app.id}/attempt/msg/${s.msg.id}?endpoint_id=${s.ok.id}`),
    );
    expect(oneEndpoint.data).toHaveLength(1);

    const byEndpoint = await json<Page<Attempt>>(
      await api("GET", `/api/v1/app/${s.app.id}/attempt/endpoint/${s.failing.id}`),
    );
    expect(byEndpoint.data).toMatchObject([
      {
        msgId: s.msg.id,
        status: 1,
        responseStatusCode: 500,
        response: "broken",
        triggerType: 0,
        url: `${RECEIVER}/failing`,
      },
    ]);
    const attempt = byEndpoint.data[0] as Attempt;
    const got = await api("GET", `/api/v1/app/${s.app.id}/msg/${s.msg.id}/attempt/${attempt.id}`);
    expect(await json(got)).toEqual(attempt);
  });

  it("lists a message's destinations with each delivery's status and next attempt", async () => {
    const s = await scenario();
    type Dest = { id: string; status: number; statusText: string; nextAttempt: string | null; url: string };
    const page = await json<Page<Dest>>(await api("GET", `/api/v1/app/${s.app.id}/msg/${s.msg.id}/endpoint`));
    const byId = Object.fromEntries(page.data.map((d) => [d.id, d]));
    expect(byId[s.ok.id]).toMatchObject({ statusText: "success", nextAttempt: null });
    expect(byId[s.failing.id]).toMatchObject({ statusText: "pending", nextAttempt: expect.any(String) });
    const first = await json<Page<Dest>>(
      await api("GET", `/api/v1/app/${s.app.id}/msg/${s.msg.id}/endpoint?limit=1`),
    );
    expect(first.done).toBe(false);
    const second = await json<Page<Dest>>(
      await api("GET", `/api/v1/app/${s.app.id}/msg/${s.msg.id}/endpoint?limit=1&iterator=${first.iterator}`),
    );
    expect([first.data[0]?.id, second.data[0]?.id].sort()).toEqual([s.failing.id, s.ok.id].sort());
    expect(second.done).toBe(true);
  });

  it("resends one delivery as a manual attempt", async () => {
    const s = await scenario();
    s.send.mockClear();
    const res = await api("POST", `/api/v1/app/${s.app.id}/msg/${s.msg.id}/endpoint/${s.failing.id}/resend`);
    expect(res.status).toBe(202);
    expect(await json(res)).toEqual({});
    const [job] = sentJobs(s.send).map((m) => m.body as DeliveryJob);
    expect(job).toMatchObject({ msgId: s.msg.id, endpointId: s.failing.id, trigger: 1, attempt: 0 });
    vi.restoreAllMocks();
    mockReceiver(() => new Response("", { status: 200 }));
    await runDeliveries([job as DeliveryJob]);
    const byEndpoint = await json<Page<Attempt>>(
      await api("GET", `/api/v1/app/${s.app.id}/attempt/endpoint/${s.failing.id}`),
    );
    expect(byEndpoint.data[0]).toMatchObject({ status: 0, triggerType: 1 });
  });

  it("recovers many large deliveries in sendBatch calls within 100 messages and 256 KB", async () => {
    const send = spySendBatch();
    const app = await createApp();
    const ep = await createEndpoint(app.id);
    const payload = { blob: "x".repeat(6 * 1024) };
    for (let i = 0; i < 120; i++) await createMessage(app.id, { payload });
    const jobs = sentJobs(send).map((m) => ({ ...(m.body as DeliveryJob), attempt: 7 }));
    expect(jobs).toHaveLength(120);
    mockReceiver(() => new Response("", { status: 500 }));
    await runDeliveries(jobs);
    send.mockClear();

    const since = new Date(Date.now() - 3_600_000).toISOString();
    const res = await api("POST", `/api/v1/app/${app.id}/endpoint/${ep.id}/recover`, { since });
    expect(res.status).toBe(202);
    const calls = send.mock.calls.map(([messages]) => [...messages]);
    expect(calls.flat()).toHaveLength(120);
    for (const call of calls) {
      expect(call.length).toBeLessThanOrEqual(100);
      expect(new TextEncoder().encode(JSON.stringify(call.map((m) => m.body))).length).toBeLessThanOrEqual(
        256 * 1024,
      );
    }
  });

  it("hands the rest of a large recovery to a recover job that the consumer continues", async () => {
    const send = spySendBatch();
    const app = await createApp();
    const ep = await createEndpoint(app.id);
    for (let i = 0; i < 7; i++) await createMessage(app.id);
    const failed = sentJobs(send).map((m) => ({ ...(m.body as DeliveryJob), attempt: 7 }));
    mockReceiver(() => new Response("", { status: 500 }));
    await runDeliveries(failed);
    send.mockClear();

    const range = { since: Date.now() - 3_600_000, until: Date.now() + 1000 };
    const first = await recoverEndpoint(env, app.id, ep.id, range, { page: 2, pagesPerRun: 2 });
    expect(first).toEqual({ queued: 4, continued: true });
    const afterFirst = sentJobs(send).map((m) => m.body as QueueJob);
    const rest = afterFirst.find((j): j is RecoverJob => j.kind === "recover");
    expect(rest).toMatchObject({ appId: app.id, endpointId: ep.id, ...range });

    send.mockClear();
    await runDeliveries([rest as RecoverJob]);
    const replayed = [...afterFirst, ...sentJobs(send).map((m) => m.body as QueueJob)].filter(
      (j): j is DeliveryJob => j.kind === "delivery",
    );
    expect(replayed.map((j) => j.msgId).sort()).toEqual(failed.map((j) => j.msgId).sort());
    expect(replayed.every((j) => j.trigger === 1 && j.endpointId === ep.id)).toBe(true);
  });

  it("recovers an endpoint's failed deliveries since a time", async () => {
    const s = await scenario();
    // End the failing delivery: its last attempt fails.
    mockReceiver(() => new Response("", { status: 500 }));
    await runDeliveries([
      { ...(s.jobs.find((j) => j.endpointId === s.failing.id) as DeliveryJob), attempt: 7 },
    ]);
    s.send.mockClear();
    const since = new Date(Date.now() - 3_600_000).toISOString();
    const res = await api("POST", `/api/v1/app/${s.app.id}/endpoint/${s.failing.id}/recover`, { since });
    expect(res.status).toBe(202);
    expect(await json(res)).toMatchObject({ status: "running", task: "endpoint.recover" });
    expect(sentJobs(s.send).map((m) => m.body)).toMatchObject([
      { msgId: s.msg.id, endpointId: s.failing.id, trigger: 1 },
    ]);
    s.send.mockClear();
    // The successful endpoint has nothing to recover.
    await api("POST", `/api/v1/app/${s.app.id}/endpoint/${s.ok.id}/recover`, { since });
    expect(s.send).not.toHaveBeenCalled();
    const stats = await json(await api("GET", `/api/v1/app/${s.app.id}/endpoint/${s.failing.id}/stats`));
    expect(stats).toMatchObject({ fail: 1, success: 0 });
  });

  it("answers 404 for another application's message, endpoint or attempt", async () => {
    const s = await scenario();
    const other = await createApp();
    const attempts = await json<Page<Attempt>>(
      await api("GET", `/api/v1/app/${s.app.id}/attempt/msg/${s.msg.id}`),
    );
    const attemptId = attempts.data[0]?.id;
    for (const [method, path] of [
      ["GET", `/api/v1/app/${other.id}/attempt/msg/${s.msg.id}`],
      ["GET", `/api/v1/app/${other.id}/attempt/endpoint/${s.ok.id}`],
      ["GET", `/api/v1/app/${other.id}/msg/${s.msg.id}/attempt/${attemptId}`],
      ["GET", `/api/v1/app/${other.id}/msg/${s.msg.id}/endpoint`],
      ["POST", `/api/v1/app/${other.id}/msg/${s.msg.id}/endpoint/${s.ok.id}/resend`],
      ["GET", `/api/v1/app/${other.id}/endpoint/${s.ok.id}/msg`],
      ["GET", `/api/v1/app/${other.id}/endpoint/${s.ok.id}/stats`],
    ] as const) {
      const res = await api(method, path);
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    const recover = await api("POST", `/api/v1/app/${other.id}/endpoint/${s.ok.id}/recover`, {
      since: new Date(0).toISOString(),
    });
    expect(recover.status).toBe(404);
  });
});
