import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import {
  attemptEvent,
  emitOperational,
  endpointDisabledEvent,
  endpointEvent,
  operationalJob,
} from "../../src/operational/events";
import type { OperationalJob } from "../../src/queue/jobs";

const app = { id: "app_1", uid: "acme" };
const endpoint = { id: "ep_1", uid: null };

function withQueue(url: string, sendBatch: (messages: MessageSendRequest[]) => Promise<unknown>): Env {
  return { ...env, OPERATIONAL_WEBHOOK_URL: url, DELIVERIES: { ...env.DELIVERIES, sendBatch } as Queue };
}

describe("operational event builders", () => {
  it("build Svix's data shapes", () => {
    expect(endpointEvent("endpoint.created", app, endpoint)).toEqual({
      type: "endpoint.created",
      data: { appId: "app_1", appUid: "acme", endpointId: "ep_1", endpointUid: null },
    });
    expect(endpointDisabledEvent(app, endpoint, Date.UTC(2026, 0, 2)).data).toEqual({
      appId: "app_1",
      appUid: "acme",
      endpointId: "ep_1",
      endpointUid: null,
      failSince: "2026-01-02T00:00:00.000Z",
      trigger: "automatic",
    });
    const exhausted = attemptEvent(
      "message.attempt.exhausted",
      app,
      { endpointId: "ep_1", msgId: "msg_1", msgEventId: "evt-9" },
      { id: "atmpt_1", responseStatusCode: 500, timestamp: Date.UTC(2026, 0, 3) },
    );
    expect(exhausted.data).toEqual({
      appId: "app_1",
      appUid: "acme",
      endpointId: "ep_1",
      msgId: "msg_1",
      msgEventId: "evt-9",
      lastAttempt: { id: "atmpt_1", responseStatusCode: 500, timestamp: "2026-01-03T00:00:00.000Z" },
    });
  });

  it("wraps an event in the {type, timestamp, data} envelope as an operational job", () => {
    const job = operationalJob(endpointEvent("endpoint.deleted", app, endpoint), Date.UTC(2026, 5, 1));
    expect(job).toMatchObject({ kind: "operational", eventType: "endpoint.deleted", attempt: 0 });
    expect(job.id).toMatch(/^msg_/);
    expect(JSON.parse(job.payload)).toEqual({
      type: "endpoint.deleted",
      timestamp: "2026-06-01T00:00:00.000Z",
      data: { appId: "app_1", appUid: "acme", endpointId: "ep_1", endpointUid: null },
    });
  });
});

describe("emitOperational", () => {
  it("enqueues nothing when OPERATIONAL_WEBHOOK_URL is unset", async () => {
    const sendBatch = vi.fn(async () => undefined);
    await emitOperational(withQueue("", sendBatch), [endpointEvent("endpoint.created", app, endpoint)]);
    expect(sendBatch).not.toHaveBeenCalled();
  });

  it("enqueues one job per event, in batches of at most 100", async () => {
    const sent: OperationalJob[][] = [];
    const sendBatch = vi.fn(async (messages: MessageSendRequest[]) => {
      sent.push(messages.map((m) => m.body as OperationalJob));
    });
    const events = Array.from({ length: 150 }, () => endpointEvent("endpoint.updated", app, endpoint));
    await emitOperational(withQueue("https://ops.example.com/hook", sendBatch), events);
    expect(sent.map((batch) => batch.length)).toEqual([100, 50]);
    const ids = new Set(sent.flat().map((job) => job.id));
    expect(ids.size).toBe(150);
  });

  it("logs and swallows a queue failure", async () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const sendBatch = vi.fn(async () => {
      throw new Error("queue unavailable");
    });
    await expect(
      emitOperational(withQueue("https://ops.example.com/hook", sendBatch), [
        endpointDisabledEvent(app, endpoint, Date.now()),
      ]),
    ).resolves.toBeUndefined();
    expect(error).toHaveBeenCalledWith("operational webhooks not enqueued", {
      types: ["endpoint.disabled"],
      error: "queue unavailable",
    });
    error.mockRestore();
  });
});
