import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { DeliveryJob } from "../../src/delivery/jobs";
import { api, createApp } from "../helpers";
import { mockReceiver, runDeliveries, runQueue, sentJobs, spySendBatch } from "./consumer-helpers";
import { attemptRows, createEndpoint, createMessage, RECEIVER, SECRET } from "./delivery-fixtures";

afterEach(() => {
  vi.restoreAllMocks();
});

/** An app, an endpoint and a committed message whose delivery job was captured. */
async function delivery(
  endpointBody: Record<string, unknown> = {},
  messageBody: Record<string, unknown> = {},
) {
  const send = spySendBatch();
  const app = await createApp();
  const ep = await createEndpoint(app.id, endpointBody);
  const msg = await createMessage(app.id, messageBody);
  const jobs = sentJobs(send).map((m) => m.body as DeliveryJob);
  send.mockClear();
  return { app, ep, msg, job: jobs[0] as DeliveryJob, jobs, send };
}

const endpointRow = (appId: string, id: string) =>
  env.DB.prepare(
    "SELECT disabled, disabled_reason, failing_since FROM endpoints WHERE app_id = ?1 AND id = ?2",
  )
    .bind(appId, id)
    .first<{ disabled: number; disabled_reason: string | null; failing_since: number | null }>();

describe("delivery consumer", () => {
  it("signs and posts the payload, records a success and acks", async () => {
    const d = await delivery({ headers: { "X-Custom": "yes" } }, { payload: { hello: "world" } });
    const receiver = mockReceiver(() => new Response("thanks", { status: 200 }));
    const { ids, result } = await runDeliveries([d.job]);

    expect(result.explicitAcks).toEqual(ids);
    expect(receiver.requests).toHaveLength(1);
    const req = receiver.requests[0] as Request;
    expect(req.url).toBe(RECEIVER);
    expect(req.method).toBe("POST");
    expect(req.redirect).toBe("manual");
    const body = await req.text();
    expect(JSON.parse(body)).toEqual({ hello: "world" });
    const headers = Object.fromEntries(req.headers);
    expect(headers).toMatchObject({
      "content-type": "application/json",
      "x-custom": "yes",
      "webhook-id": d.msg.id,
      "svix-id": d.msg.id,
    });
    expect(headers["user-agent"]).toMatch(/^Edgehook\//);
    expect(headers["svix-signature"]).toBe(headers["webhook-signature"]);
    expect(new Webhook(SECRET).verify(body, headers)).toEqual({ hello: "world" });

    const [attempt] = await attemptRows(d.app.id, d.msg.id);
    expect(attempt).toMatchObject({
      endpoint_id: d.ep.id,
      status: 0,
      response_status_code: 200,
      response: "thanks",
      trigger_type: 0,
      next_attempt_at: null,
      url: RECEIVER,
    });
  });

  it("records a failed attempt as pending and enqueues the next attempt after the jittered step", async () => {
    const d = await delivery();
    mockReceiver(() => new Response("boom", { status: 500 }));
    const before = Date.now();
    const { ids, result } = await runDeliveries([d.job]);
    expect(result.explicitAcks).toEqual(ids);
    const [next] = sentJobs(d.send);
    expect(next?.body).toMatchObject({ ...d.job, attempt: 1 });
    // Default schedule: 5 s after the first failure, +-20 %.
    expect(next?.delaySeconds).toBeGreaterThanOrEqual(4);
    expect(next?.delaySeconds).toBeLessThanOrEqual(6);
    const [attempt] = await attemptRows(d.app.id, d.msg.id);
    expect(attempt).toMatchObject({ status: 1, response_status_code: 500, response: "boom" });
    expect(attempt?.next_attempt_at).toBeGreaterThanOrEqual(before + 4000);
  });

  it("honours Retry-After on 429, clamped to [step, 2 x step]", async () => {
    const d = await delivery();
    mockReceiver(() => new Response("slow down", { status: 429, headers: { "retry-after": "3600" } }));
    await runDeliveries([{ ...d.job, attempt: 1 }]);
    // After 2 attempts the step is 300 s: 3600 is clamped to 600.
    expect(sentJobs(d.send)[0]).toMatchObject({ delaySeconds: 600, body: { attempt: 2 } });
  });

  it("ends the delivery failed after the last step of the schedule", async () => {
    const d = await delivery();
    mockReceiver(() => new Response("still down", { status: 503 }));
    const { ids, result } = await runDeliveries([{ ...d.job, attempt: 7 }]);
    expect(result.explicitAcks).toEqual(ids);
    expect(d.send).not.toHaveBeenCalled();
    const [attempt] = await attemptRows(d.app.id, d.msg.id);
    expect(attempt).toMatchObject({ status: 2, response_status_code: 503, next_attempt_at: null });
  });

  it("treats network errors and timeouts as failed attempts that are retried", async () => {
    const d = await delivery();
    vi.spyOn(globalThis, "fetch").mockRejectedValue(new TypeError("connection refused"));
    await runDeliveries([d.job]);
    const [attempt] = await attemptRows(d.app.id, d.msg.id);
    expect(attempt).toMatchObject({ status: 1, response_status_code: 0 });
    expect(attempt?.response).toContain("connection refused");
    expect(sentJobs(d.send)[0]?.body).toMatchObject({ attempt: 1 });
  });

  it("treats a redirect as a failed attempt", async () => {
    const d = await delivery();
    mockReceiver(
      () => new Response(null, { status: 301, headers: { location: "https://elsewhere.example.com" } }),
    );
    await runDeliveries([d.job]);
    expect((await attemptRows(d.app.id, d.msg.id))[0]).toMatchObject({
      status: 1,
      response_status_code: 301,
    });
  });

  it("disables the endpoint on 410 and ends its other deliveries in the batch as failed", async () => {
    const send = spySendBatch();
    const app = await createApp();
    const ep = await createEndpoint(app.id);
    const m1 = await createMessage(app.id);
    const m2 = await createMessage(app.id);
    const jobs = sentJobs(send).map((m) => m.body as DeliveryJob);
    send.mockClear();
    mockReceiver((_req, call) => new Response("", { status: call === 0 ? 410 : 500 }));
    const { ids, result } = await runDeliveries(jobs);
    expect(result.explicitAcks.sort()).toEqual(ids.sort());
    expect(send).not.toHaveBeenCalled();
    expect(await endpointRow(app.id, ep.id)).toMatchObject({ disabled: 1 });
    expect((await endpointRow(app.id, ep.id))?.disabled_reason).toMatch(/410/);
    for (const m of [m1, m2])
      expect((await attemptRows(app.id, m.id))[0]).toMatchObject({ status: 2, next_attempt_at: null });

    // Later jobs for the disabled endpoint end failed without a request.
    const receiver = mockReceiver(() => new Response("", { status: 200 }));
    await runDeliveries([{ ...(jobs[0] as DeliveryJob), trigger: 1 }]);
    expect(receiver.requests).toHaveLength(0);
    const rows = await attemptRows(app.id, m1.id);
    expect(rows[rows.length - 1]?.response).toMatch(/^endpoint disabled/);
  });

  it("uses one D1 read batch and one D1 write batch per queue batch", async () => {
    const send = spySendBatch();
    const app = await createApp();
    await createEndpoint(app.id);
    await createEndpoint(app.id);
    for (let i = 0; i < 5; i++)
      await createMessage(app.id, { payload: { i, pad: "y".repeat(i === 0 ? 9000 : 1) } });
    const jobs = sentJobs(send).map((m) => m.body as DeliveryJob);
    expect(jobs).toHaveLength(10);
    mockReceiver((_req, call) => new Response("", { status: call % 2 ? 200 : 500 }));
    const batchSpy = vi.spyOn(env.DB, "batch");
    const prepareSpy = vi.spyOn(env.DB, "prepare");
    const { ids, result } = await runDeliveries(jobs);
    expect(result.explicitAcks.sort()).toEqual(ids.sort());
    expect(batchSpy).toHaveBeenCalledTimes(2);
    // The write: 10 attempt rows + failing_since set on both endpoints (each had a 500).
    expect((batchSpy.mock.calls[1]?.[0] ?? []).length).toBe(12);
    // No statement outside the two batches.
    expect(prepareSpy.mock.calls.length).toBe(
      (batchSpy.mock.calls[0]?.[0] ?? []).length + (batchSpy.mock.calls[1]?.[0] ?? []).length,
    );
  });

  it("retries every message of the batch when the D1 write fails", async () => {
    const d = await delivery();
    mockReceiver(() => new Response("", { status: 200 }));
    const real = env.DB.batch.bind(env.DB);
    let calls = 0;
    vi.spyOn(env.DB, "batch").mockImplementation(async (stmts) => {
      if (++calls === 2) throw new Error("D1 unavailable");
      return real(stmts);
    });
    const { ids, result } = await runDeliveries([d.job]);
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages.map((r) => r.msgId)).toEqual(ids);
    expect(await attemptRows(d.app.id, d.msg.id)).toEqual([]);
  });

  it("skips a first scheduled job whose delivery was already attempted (a sweeper duplicate)", async () => {
    const d = await delivery();
    const receiver = mockReceiver(() => new Response("", { status: 200 }));
    await runDeliveries([d.job, d.job]);
    expect(receiver.requests).toHaveLength(1);
    const again = await runDeliveries([d.job]);
    expect(again.result.explicitAcks).toEqual(again.ids);
    expect(receiver.requests).toHaveLength(1);
    // A manual resend is never skipped.
    await runDeliveries([{ ...d.job, trigger: 1 }]);
    expect(receiver.requests).toHaveLength(2);
    expect((await attemptRows(d.app.id, d.msg.id)).map((a) => a.trigger_type)).toEqual([0, 1]);
  });

  it("refuses a destination that fails the URL guard, without retrying", async () => {
    const d = await delivery();
    await env.DB.prepare("UPDATE endpoints SET url = 'https://10.0.0.1/hook' WHERE app_id = ?1")
      .bind(d.app.id)
      .run();
    const receiver = mockReceiver(() => new Response("", { status: 200 }));
    await runDeliveries([d.job]);
    expect(receiver.requests).toHaveLength(0);
    expect(d.send).not.toHaveBeenCalled();
    const [attempt] = await attemptRows(d.app.id, d.msg.id);
    expect(attempt).toMatchObject({ status: 2, response_status_code: 0 });
    expect(attempt?.response).toMatch(/^refused: .*private/);
  });

  it("reads large payloads from D1 and fails deliveries whose content was expunged", async () => {
    const d = await delivery({}, { payload: { big: "z".repeat(9000) } });
    expect(d.job.payload).toBeUndefined();
    const receiver = mockReceiver(() => new Response("", { status: 200 }));
    await runDeliveries([d.job]);
    expect(JSON.parse(await (receiver.requests[0] as Request).text())).toEqual({ big: "z".repeat(9000) });
    await env.DB.prepare("UPDATE messages SET payload = NULL WHERE app_id = ?1").bind(d.app.id).run();
    await runDeliveries([{ ...d.job, trigger: 1 }]);
    expect(receiver.requests).toHaveLength(1);
    const rows = await attemptRows(d.app.id, d.msg.id);
    expect(rows[1]).toMatchObject({ status: 2, response: "the message content was expunged" });
  });

  it("does not send an expunged message from a retry job that carries the payload inline", async () => {
    const d = await delivery({}, { payload: { secret: "personal data" } });
    expect(d.job.payload).toBeDefined();
    const expunge = await api("DELETE", `/api/v1/app/${d.app.id}/msg/${d.msg.id}/content`);
    expect(expunge.status).toBe(204);
    const receiver = mockReceiver(() => new Response("", { status: 200 }));
    await runDeliveries([{ ...d.job, attempt: 2 }]);
    expect(receiver.requests).toHaveLength(0);
    const [attempt] = await attemptRows(d.app.id, d.msg.id);
    expect(attempt).toMatchObject({ status: 2, response: "the message content was expunged" });
  });

  it("re-delays a job whose notBefore is ahead, and refreshes it when queue retries run high", async () => {
    const d = await delivery();
    const receiver = mockReceiver(() => new Response("", { status: 200 }));
    const notBefore = Date.now() + 3_600_000;
    const early = await runDeliveries([{ ...d.job, attempt: 3, notBefore }]);
    expect(receiver.requests).toHaveLength(0);
    expect(early.result.retryMessages.map((r) => r.msgId)).toEqual(early.ids);
    const delay = early.retryDelays[early.ids[0] ?? ""] ?? 0;
    expect(delay).toBeGreaterThan(3590);
    expect(delay).toBeLessThanOrEqual(3600);

    const worn = await runDeliveries([{ ...d.job, attempt: 3, notBefore }], 60);
    expect(worn.result.explicitAcks).toEqual(worn.ids);
    expect(sentJobs(d.send)[0]?.body).toEqual({ ...d.job, attempt: 3, notBefore });
  });

  it("defers deliveries beyond the endpoint's rate limit without recording attempts", async () => {
    const send = spySendBatch();
    const app = await createApp();
    await createEndpoint(app.id, { throttleRate: 1 });
    for (let i = 0; i < 6; i++) await createMessage(app.id);
    const jobs = sentJobs(send).map((m) => m.body as DeliveryJob);
    const receiver = mockReceiver(() => new Response("", { status: 200 }));
    const { result, retryDelays } = await runDeliveries(jobs);
    expect(receiver.requests.length).toBeGreaterThan(0);
    expect(receiver.requests.length).toBeLessThan(6);
    expect(result.retryMessages).toHaveLength(6 - receiver.requests.length);
    for (const r of result.retryMessages) expect(retryDelays[r.msgId]).toBeGreaterThanOrEqual(1);
    const { results } = await env.DB.prepare("SELECT COUNT(*) AS n FROM attempts WHERE app_id = ?1")
      .bind(app.id)
      .all<{ n: number }>();
    expect(results[0]?.n).toBe(receiver.requests.length);
  });

  it("acks jobs whose endpoint was deleted", async () => {
    const d = await delivery();
    await env.DB.prepare("DELETE FROM endpoints WHERE app_id = ?1").bind(d.app.id).run();
    const receiver = mockReceiver(() => new Response("", { status: 200 }));
    const { ids, result } = await runDeliveries([d.job]);
    expect(result.explicitAcks).toEqual(ids);
    expect(receiver.requests).toHaveLength(0);
  });

  it("acks operational jobs without sending when OPERATIONAL_WEBHOOK_URL is unset", async () => {
    const receiver = mockReceiver(() => new Response("", { status: 200 }));
    const { ids, result } = await runDeliveries([
      { kind: "operational", id: "msg_op", eventType: "endpoint.disabled", payload: "{}", attempt: 0 },
    ]);
    expect(result.explicitAcks).toEqual(ids);
    expect(receiver.requests).toHaveLength(0);
  });

  it("records dead-lettered deliveries as failed with the reason", async () => {
    const d = await delivery();
    const { ids, result } = await runQueue("edgehook-deliveries-dlq", [d.job]);
    expect(result.explicitAcks).toEqual(ids);
    const [attempt] = await attemptRows(d.app.id, d.msg.id);
    expect(attempt).toMatchObject({ status: 2, response_status_code: 0, url: RECEIVER });
    expect(attempt?.response).toMatch(/^dead-lettered: /);
  });
});

describe("operational webhooks from the consumer", () => {
  // A copy of the environment with OPERATIONAL_WEBHOOK_URL set (config is parsed per env object).
  const opsEnv: Env = Object.create(env, {
    OPERATIONAL_WEBHOOK_URL: { value: "https://ops.example.com/hook" },
  });
  const opsJobs = (spy: ReturnType<typeof spySendBatch>) =>
    sentJobs(spy)
      .map((m) => m.body)
      .flatMap((j) => (j.kind === "operational" ? [{ ...j, body: JSON.parse(j.payload) }] : []));

  it("emits failing on the 4th failure, exhausted at the end, and recovered only after failing", async () => {
    const d = await delivery({}, { eventId: "evt-ops" });
    mockReceiver(() => new Response("", { status: 500 }));
    await runDeliveries([{ ...d.job, attempt: 3 }], 1, opsEnv);
    const [failing] = opsJobs(d.send);
    expect(failing?.body).toMatchObject({
      type: "message.attempt.failing",
      data: {
        appId: d.app.id,
        endpointId: d.ep.id,
        msgId: d.msg.id,
        msgEventId: "evt-ops",
        lastAttempt: { responseStatusCode: 500, id: expect.stringMatching(/^atmpt_/) },
      },
    });
    d.send.mockClear();
    await runDeliveries([{ ...d.job, attempt: 7 }], 1, opsEnv);
    expect(opsJobs(d.send).map((j) => j.body.type)).toEqual(["message.attempt.exhausted"]);
    d.send.mockClear();
    vi.restoreAllMocks();
    const send = spySendBatch();
    mockReceiver(() => new Response("", { status: 200 }));
    // A success after fewer failures than "failing" needs recovers nothing the operator heard of.
    await runDeliveries([{ ...d.job, attempt: 2 }], 1, opsEnv);
    expect(opsJobs(send)).toEqual([]);
    await runDeliveries([{ ...d.job, attempt: 4 }], 1, opsEnv);
    expect(opsJobs(send).map((j) => j.body.type)).toEqual(["message.attempt.recovered"]);
  });

  it("emits endpoint.disabled once when a 410 disables the endpoint", async () => {
    const d = await delivery();
    mockReceiver(() => new Response("", { status: 410 }));
    await runDeliveries([d.job], 1, opsEnv);
    expect(opsJobs(d.send).map((j) => j.body)).toMatchObject([
      {
        type: "endpoint.disabled",
        data: { appId: d.app.id, endpointId: d.ep.id, failSince: expect.any(String) },
      },
    ]);
  });

  it("posts operational jobs to OPERATIONAL_WEBHOOK_URL, signed, and retries failures", async () => {
    const send = spySendBatch();
    const receiver = mockReceiver(() => new Response("", { status: 500 }));
    const job = {
      kind: "operational" as const,
      id: "msg_ops1",
      eventType: "endpoint.disabled",
      payload: '{"a":1}',
      attempt: 0,
    };
    const { ids, result } = await runDeliveries([job], 1, opsEnv);
    expect(result.explicitAcks).toEqual(ids);
    const req = receiver.requests[0] as Request;
    expect(req.url).toBe("https://ops.example.com/hook");
    const headers = Object.fromEntries(req.headers);
    expect(new Webhook(env.OPERATIONAL_WEBHOOK_SECRET).verify(await req.text(), headers)).toEqual({ a: 1 });
    expect(sentJobs(send)[0]).toMatchObject({
      body: { ...job, attempt: 1 },
      delaySeconds: expect.any(Number),
    });
  });
});
