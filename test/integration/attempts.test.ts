import { afterEach, describe, expect, it, vi } from "vitest";
import { newId, newMessageId } from "../../src/lib/ids";
import { STEP } from "../../src/log/maintenance";
import type { DeliveryRef, QueueJob } from "../../src/queue/jobs";
import { api, createApp, json } from "../helpers";
import {
  drained,
  mockReceiver,
  pack,
  runDeliveries,
  type SentDelivery,
  sentDeliveries,
  spySendBatch,
} from "./consumer-helpers";
import {
  attemptRows,
  createEndpoint,
  createMessage,
  inLog,
  type MessageOut,
  RECEIVER,
} from "./delivery-fixtures";

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
  msg?: MessageOut | null;
};
type Task = { id: string; status: string; task: string; data: Record<string, unknown>; updatedAt: string };

afterEach(() => {
  vi.restoreAllMocks();
});

/** The last retry step: a failed attempt made with n = 7 is not retried (default schedule). */
const EXHAUSTED = 7;
const pause = () => new Promise((resolve) => setTimeout(resolve, 5));

type Spy = ReturnType<typeof spySendBatch>;
const refOf = ({ m, e, p, n, t }: SentDelivery): DeliveryRef => ({ m, e, p, n, t });

/** What the application's log object queued so far, once it has. */
async function queued(send: Spy, appId: string): Promise<SentDelivery[]> {
  await drained(appId);
  return sentDeliveries(send).filter((d) => d.appId === appId);
}

/** Runs refs through the consumer, then waits for the log object's follow-up sends. */
async function deliver(appId: string, refs: DeliveryRef[]) {
  await runDeliveries([pack(appId, refs)]);
  await drained(appId);
}

const attemptsOf = async (path: string) => (await json<Page<Attempt>>(await api("GET", path))).data;

/** An app with two endpoints and one message; the first endpoint fails (and is retried), the second succeeds. */
async function scenario() {
  const send = spySendBatch();
  const app = await createApp();
  const failing = await createEndpoint(app.id, { url: `${RECEIVER}/failing` });
  const ok = await createEndpoint(app.id, { url: `${RECEIVER}/ok` });
  const msg = await createMessage(app.id);
  const refs = (await queued(send, app.id)).map(refOf);
  send.mockClear();
  mockReceiver(
    (req) =>
      new Response(req.url.endsWith("/ok") ? "fine" : "broken", {
        status: req.url.endsWith("/ok") ? 200 : 500,
      }),
  );
  await deliver(app.id, refs);
  return { app, failing, ok, msg, refs, send };
}

/** Ends the failing endpoint's delivery: one more failed attempt, the last of the schedule. */
async function exhaust(s: Awaited<ReturnType<typeof scenario>>) {
  const [latest] = (await attemptRows(s.app.id, s.msg.id))
    .filter((a) => a.endpoint_id === s.failing.id)
    .reverse();
  mockReceiver(() => new Response("", { status: 500 }));
  await deliver(s.app.id, [{ m: s.msg.id, e: s.failing.id, p: latest?.id ?? null, n: EXHAUSTED, t: 0 }]);
}

/** Waits until the background task reaches `status`. */
async function taskReaches(id: string, status: string): Promise<Task> {
  let task: Task | null = null;
  await vi.waitFor(
    async () => {
      task = await json<Task>(await api("GET", `/api/v1/background-task/${id}`));
      expect(task.status).toBe(status);
    },
    { timeout: 5000, interval: 20 },
  );
  return task as unknown as Task;
}

describe("attempt routes", () => {
  it("lists attempts by message and by endpoint, each with its own status", async () => {
    const s = await scenario();
    const byMsgPath = `/api/v1/app/${s.app.id}/attempt/msg/${s.msg.id}`;
    const byMsg = await attemptsOf(byMsgPath);
    expect(byMsg).toHaveLength(2);
    // A failed attempt is a failure even though its delivery will be retried.
    expect(byMsg.map((a) => [a.endpointId, a.status, a.statusText]).sort()).toEqual(
      [
        [s.failing.id, 2, "fail"],
        [s.ok.id, 0, "success"],
      ].sort(),
    );
    expect((await attemptsOf(`${byMsgPath}?status=0`)).map((a) => a.endpointId)).toEqual([s.ok.id]);
    expect((await attemptsOf(`${byMsgPath}?status=2`)).map((a) => a.endpointId)).toEqual([s.failing.id]);
    expect(await attemptsOf(`${byMsgPath}?status=1`)).toEqual([]);
    expect((await attemptsOf(`${byMsgPath}?status_code_class=500`)).map((a) => a.endpointId)).toEqual([
      s.failing.id,
    ]);
    expect((await attemptsOf(`${byMsgPath}?status_code_class=200`)).map((a) => a.endpointId)).toEqual([
      s.ok.id,
    ]);
    expect(await attemptsOf(`${byMsgPath}?status_code_class=0`)).toEqual([]);
    expect((await attemptsOf(`${byMsgPath}?endpoint_id=${s.ok.id}`)).map((a) => a.endpointId)).toEqual([
      s.ok.id,
    ]);
    expect((await api("GET", `${byMsgPath}?endpoint_id=ep_unknown`)).status).toBe(404);

    const byEndpoint = await attemptsOf(`/api/v1/app/${s.app.id}/attempt/endpoint/${s.failing.id}`);
    expect(byEndpoint).toMatchObject([
      {
        msgId: s.msg.id,
        endpointId: s.failing.id,
        status: 2,
        statusText: "fail",
        responseStatusCode: 500,
        response: "broken",
        triggerType: 0,
        url: `${RECEIVER}/failing`,
      },
    ]);
    expect(byEndpoint[0]).not.toHaveProperty("msg");
    const attempt = byEndpoint[0] as Attempt;
    const got = await api("GET", `/api/v1/app/${s.app.id}/msg/${s.msg.id}/attempt/${attempt.id}`);
    expect(await json(got)).toEqual(attempt);
    // By eventId-or-id: an attempt is read through its own message only.
    const other = await createMessage(s.app.id);
    expect((await api("GET", `/api/v1/app/${s.app.id}/msg/${other.id}/attempt/${attempt.id}`)).status).toBe(
      404,
    );
  });

  it("filters attempts by event type, channel, tag and time, with or without content and message", async () => {
    const send = spySendBatch();
    const app = await createApp();
    const ep = await createEndpoint(app.id);
    const one = await createMessage(app.id, {
      eventType: "a.one",
      channels: ["c1"],
      tags: ["t1"],
      payload: { secret: 1 },
    });
    mockReceiver(() => new Response("answer", { status: 200 }));
    await deliver(app.id, (await queued(send, app.id)).map(refOf));
    await pause();
    send.mockClear();
    const two = await createMessage(app.id, { eventType: "b.two", channels: ["c2"], tags: ["t2"] });
    await deliver(app.id, (await queued(send, app.id)).map(refOf));

    const base = `/api/v1/app/${app.id}/attempt/endpoint/${ep.id}`;
    const all = await attemptsOf(base);
    expect(all.map((a) => a.msgId)).toEqual([two.id, one.id]);
    const [second, first] = all as [Attempt, Attempt];
    const msgIds = async (query: string) => (await attemptsOf(`${base}?${query}`)).map((a) => a.msgId);
    expect(await msgIds("event_types=a.one")).toEqual([one.id]);
    expect(await msgIds("event_types=a.one,b.two")).toEqual([two.id, one.id]);
    expect(await msgIds("channel=c2")).toEqual([two.id]);
    expect(await msgIds("tag=t1")).toEqual([one.id]);
    expect(await msgIds("tag=t9")).toEqual([]);
    expect(await msgIds(`before=${encodeURIComponent(second.timestamp)}`)).toEqual([one.id]);
    expect(await msgIds(`after=${encodeURIComponent(first.timestamp)}`)).toEqual([two.id]);
    expect(await msgIds("order=ascending&limit=1")).toEqual([one.id]);
    expect(await msgIds("status=2")).toEqual([]);

    expect((await attemptsOf(`${base}?with_content=false`)).map((a) => a.response)).toEqual(["", ""]);
    expect(all.map((a) => a.response)).toEqual(["answer", "answer"]);
    const withMsg = await attemptsOf(`${base}?with_msg=true&tag=t1`);
    // The message comes without its payload (Svix).
    expect(withMsg).toMatchObject([
      { msgId: one.id, msg: { id: one.id, eventType: "a.one", channels: ["c1"], tags: ["t1"] } },
    ]);
    expect(withMsg[0]?.msg?.payload).toEqual({});

    // The same filters by message: they select the message's attempts or none.
    const byMsg = `/api/v1/app/${app.id}/attempt/msg/${one.id}`;
    expect(await attemptsOf(byMsg)).toHaveLength(1);
    for (const [query, count] of [
      ["channel=c1", 1],
      ["channel=c2", 0],
      ["tag=t1", 1],
      ["tag=t2", 0],
      ["event_types=a.one", 1],
      ["event_types=b.two", 0],
      [`before=${encodeURIComponent(first.timestamp)}`, 0],
      [`after=${encodeURIComponent(new Date(Date.parse(first.timestamp) - 1).toISOString())}`, 1],
    ] as const) {
      expect(await attemptsOf(`${byMsg}?${query}`), query).toHaveLength(count);
    }
    expect((await attemptsOf(`${byMsg}?with_content=false`))[0]?.response).toBe("");
  });

  it("rejects unknown query parameters on every attempt listing (422), and accepts the client's expanded_statuses", async () => {
    const s = await scenario();
    const listings = [
      `/api/v1/app/${s.app.id}/attempt/endpoint/${s.ok.id}`,
      `/api/v1/app/${s.app.id}/attempt/msg/${s.msg.id}`,
      `/api/v1/app/${s.app.id}/msg/${s.msg.id}/endpoint`,
      `/api/v1/app/${s.app.id}/endpoint/${s.ok.id}/msg`,
      `/api/v1/app/${s.app.id}/msg`,
      "/api/v1/background-task",
    ];
    for (const path of listings) {
      expect((await api("GET", `${path}?unknown=1`)).status, path).toBe(422);
      expect((await api("GET", `${path}?limit=1`)).status, path).toBe(200);
    }
    // with_msg belongs to the listing by endpoint only.
    expect((await api("GET", `${listings[1]}?with_msg=true`)).status).toBe(422);
    // The official client sends expanded_statuses=true on these by default.
    for (const path of [listings[0], listings[1], listings[3]]) {
      expect((await api("GET", `${path}?expanded_statuses=true`)).status, path).toBe(200);
    }
    expect((await api("GET", `${listings[0]}?status_code_class=250`)).status).toBe(422);
    expect((await api("GET", `${listings[0]}?status=7`)).status).toBe(422);
  });

  it("lists a message's destinations with each delivery's status and next attempt", async () => {
    const s = await scenario();
    type Dest = { id: string; status: number; statusText: string; nextAttempt: string | null; url: string };
    const page = await json<Page<Dest>>(await api("GET", `/api/v1/app/${s.app.id}/msg/${s.msg.id}/endpoint`));
    const byId = Object.fromEntries(page.data.map((d) => [d.id, d]));
    expect(byId[s.ok.id]).toMatchObject({ status: 0, statusText: "success", nextAttempt: null });
    // Its attempt failed; the destination waits for the retry.
    expect(byId[s.failing.id]).toMatchObject({
      status: 1,
      statusText: "pending",
      nextAttempt: expect.any(String),
    });
    const first = await json<Page<Dest>>(
      await api("GET", `/api/v1/app/${s.app.id}/msg/${s.msg.id}/endpoint?limit=1`),
    );
    expect(first.done).toBe(false);
    const second = await json<Page<Dest>>(
      await api("GET", `/api/v1/app/${s.app.id}/msg/${s.msg.id}/endpoint?limit=1&iterator=${first.iterator}`),
    );
    expect([first.data[0]?.id, second.data[0]?.id].sort()).toEqual([s.failing.id, s.ok.id].sort());
    expect(second.done).toBe(true);

    // Once the schedule is exhausted the destination has failed.
    await exhaust(s);
    const after = await json<Page<Dest>>(
      await api("GET", `/api/v1/app/${s.app.id}/msg/${s.msg.id}/endpoint`),
    );
    expect(after.data.find((d) => d.id === s.failing.id)).toMatchObject({
      status: 2,
      statusText: "fail",
      nextAttempt: null,
    });
  });

  it("resends one delivery as a manual attempt that follows the latest one", async () => {
    const s = await scenario();
    const [latest] = await attemptsOf(`/api/v1/app/${s.app.id}/attempt/endpoint/${s.failing.id}`);
    s.send.mockClear();
    const res = await api("POST", `/api/v1/app/${s.app.id}/msg/${s.msg.id}/endpoint/${s.failing.id}/resend`);
    expect(res.status).toBe(202);
    expect(await json(res)).toEqual({});
    const sent = await queued(s.send, s.app.id);
    expect(sent.map(refOf)).toEqual([{ m: s.msg.id, e: s.failing.id, p: latest?.id, n: 0, t: 1 }]);
    vi.restoreAllMocks();
    const send = spySendBatch();
    mockReceiver(() => new Response("", { status: 200 }));
    await deliver(s.app.id, sent.map(refOf));
    const byEndpoint = await attemptsOf(`/api/v1/app/${s.app.id}/attempt/endpoint/${s.failing.id}`);
    expect(byEndpoint.map((a) => [a.status, a.triggerType])).toEqual([
      [0, 1],
      [2, 0],
    ]);
    // The scheduled retry is dropped: a later attempt answered it.
    expect((await attemptRows(s.app.id, s.msg.id)).every((a) => a.next_attempt_at === null)).toBe(true);
    expect(await queued(send, s.app.id)).toEqual([]);

    // A message is only resent to its own destinations.
    const late = await createEndpoint(s.app.id);
    const notDestination = await api(
      "POST",
      `/api/v1/app/${s.app.id}/msg/${s.msg.id}/endpoint/${late.id}/resend`,
    );
    expect(notDestination.status).toBe(404);
  });

  it("expunges one attempt's response body and keeps the attempt", async () => {
    const s = await scenario();
    const attempts = await attemptsOf(`/api/v1/app/${s.app.id}/attempt/msg/${s.msg.id}`);
    const failed = attempts.find((a) => a.endpointId === s.failing.id) as Attempt;
    const succeeded = attempts.find((a) => a.endpointId === s.ok.id) as Attempt;
    expect(failed.response).toBe("broken");

    const path = `/api/v1/app/${s.app.id}/msg/${s.msg.id}/attempt/${failed.id}`;
    const res = await api("DELETE", `${path}/content`);
    expect(res.status).toBe(204);
    expect(await json(await api("GET", path))).toEqual({ ...failed, response: "" });
    const rows = await attemptRows(s.app.id, s.msg.id);
    expect(rows.find((a) => a.id === failed.id)?.response).toBe("");
    expect(rows.find((a) => a.id === succeeded.id)?.response).toBe("fine");
    expect(
      (await api("DELETE", `/api/v1/app/${s.app.id}/msg/${s.msg.id}/attempt/atmpt_unknown/content`)).status,
    ).toBe(404);
    const other = await createMessage(s.app.id);
    expect(
      (await api("DELETE", `/api/v1/app/${s.app.id}/msg/${other.id}/attempt/${succeeded.id}/content`)).status,
    ).toBe(404);
  });

  it("recovers an endpoint's failed deliveries as a background task", async () => {
    const s = await scenario();
    await exhaust(s);
    const [latest] = (await attemptRows(s.app.id, s.msg.id))
      .filter((a) => a.endpoint_id === s.failing.id)
      .reverse();
    expect(latest).toMatchObject({ status: 2, next_attempt_at: null });
    s.send.mockClear();

    const since = new Date(Date.now() - 3_600_000).toISOString();
    const res = await api("POST", `/api/v1/app/${s.app.id}/endpoint/${s.failing.id}/recover`, { since });
    expect(res.status).toBe(202);
    const out = await json<Task>(res);
    expect(out).toMatchObject({
      id: expect.stringMatching(/^qtask_/),
      status: "running",
      task: "endpoint.recover",
    });
    const read = await api("GET", `/api/v1/background-task/${out.id}`);
    expect(read.status).toBe(200);
    expect(await json(read)).toMatchObject({
      id: out.id,
      task: "endpoint.recover",
      data: { endpointId: s.failing.id, since },
    });

    await inLog(s.app.id, (log) => log.tick(Date.now()));
    await taskReaches(out.id, "finished");
    expect((await queued(s.send, s.app.id)).map(refOf)).toEqual([
      { m: s.msg.id, e: s.failing.id, p: latest?.id, n: 0, t: 1 },
    ]);
    const listed = await json<Page<Task>>(
      await api("GET", "/api/v1/background-task?status=finished&limit=250"),
    );
    expect(listed.data.map((t) => t.id)).toContain(out.id);
    const running = await json<Page<Task>>(
      await api("GET", "/api/v1/background-task?status=running&limit=250"),
    );
    expect(running.data.map((t) => t.id)).not.toContain(out.id);

    // The successful endpoint has nothing to recover; nor has the failing one before its message.
    s.send.mockClear();
    const none = await json<Task>(
      await api("POST", `/api/v1/app/${s.app.id}/endpoint/${s.ok.id}/recover`, { since }),
    );
    const later = await json<Task>(
      await api("POST", `/api/v1/app/${s.app.id}/endpoint/${s.failing.id}/recover`, {
        since: new Date(Date.parse(s.msg.timestamp) + 1).toISOString(),
      }),
    );
    await inLog(s.app.id, (log) => log.tick(Date.now()));
    await taskReaches(none.id, "finished");
    await taskReaches(later.id, "finished");
    expect(await queued(s.send, s.app.id)).toEqual([]);
    const stats = await json(await api("GET", `/api/v1/app/${s.app.id}/endpoint/${s.failing.id}/stats`));
    expect(stats).toMatchObject({ fail: 1, success: 0 });

    const backwards = await api("POST", `/api/v1/app/${s.app.id}/endpoint/${s.failing.id}/recover`, {
      since,
      until: new Date(Date.parse(since) - 1000).toISOString(),
    });
    expect(backwards.status).toBe(422);
    expect((await api("GET", "/api/v1/background-task/qtask_unknown")).status).toBe(404);
  });

  it("recovers many deliveries in sendBatch calls within 100 messages and 256 KB", async () => {
    const send = spySendBatch();
    const app = await createApp();
    const ep = await createEndpoint(app.id);
    const payload = { blob: "x".repeat(6 * 1024) };
    for (let i = 0; i < 120; i++) await createMessage(app.id, { payload });
    const refs = (await queued(send, app.id)).map((d) => ({ ...refOf(d), n: EXHAUSTED }));
    expect(refs).toHaveLength(120);
    mockReceiver(() => new Response("", { status: 500 }));
    await deliver(app.id, refs);
    send.mockClear();

    const since = new Date(Date.now() - 3_600_000).toISOString();
    const res = await api("POST", `/api/v1/app/${app.id}/endpoint/${ep.id}/recover`, { since });
    expect(res.status).toBe(202);
    await inLog(app.id, (log) => log.tick(Date.now()));
    await taskReaches((await json<Task>(res)).id, "finished");
    const replayed = await queued(send, app.id);
    expect(replayed.map((d) => d.m).sort()).toEqual(refs.map((r) => r.m).sort());
    expect(replayed.every((d) => d.t === 1 && d.e === ep.id && d.p !== null)).toBe(true);
    const calls = send.mock.calls.map(([messages]) => [...(messages as MessageSendRequest<QueueJob>[])]);
    for (const call of calls) {
      expect(call.length).toBeLessThanOrEqual(100);
      expect(new TextEncoder().encode(JSON.stringify(call.map((m) => m.body))).length).toBeLessThanOrEqual(
        256 * 1024,
      );
    }
  });

  it("recovers a large range in bounded steps until the task is finished", async () => {
    const send = spySendBatch();
    const app = await createApp();
    const ep = await createEndpoint(app.id);
    const total = STEP.recover + 1;
    const now = Date.now();
    // Failed deliveries written straight into the log object (making them through the consumer takes long).
    const ids = await inLog(app.id, (log) => {
      const made: string[] = [];
      for (let i = 0; i < total; i++) {
        const id = newMessageId(0, now - 60_000 + i);
        log.messages.insert(
          {
            id,
            event_type: "bulk.failed",
            event_id: null,
            channels: null,
            tags: null,
            payload: "{}",
            destinations: JSON.stringify([ep.id]),
            created_at: now - 60_000 + i,
            expires_at: now + 86_400_000,
            deliver_at: null,
          },
          [],
          null,
        );
        log.attempts.insertAll([
          {
            msg_id: id,
            endpoint_id: ep.id,
            id: newId("atmpt", now - 30_000 + i),
            url: RECEIVER,
            status: 2,
            response_status_code: 500,
            response: "",
            response_duration_ms: 1,
            trigger_type: 0,
            next_attempt_at: null,
            created_at: now - 30_000 + i,
          },
        ]);
        made.push(id);
      }
      return made;
    });

    const res = await api("POST", `/api/v1/app/${app.id}/endpoint/${ep.id}/recover`, {
      since: new Date(now - 3_600_000).toISOString(),
    });
    const task = await json<Task>(res);
    // The log object's alarm takes the task on too: tick until the task is done.
    await vi.waitFor(
      async () => {
        await inLog(app.id, (log) => log.tick(Date.now()));
        expect((await json<Task>(await api("GET", `/api/v1/background-task/${task.id}`))).status).toBe(
          "finished",
        );
      },
      { timeout: 10_000, interval: 50 },
    );
    const replayed = (await queued(send, app.id)).filter((d) => d.t === 1);
    expect(replayed.map((d) => d.m).sort()).toEqual(ids.sort());
    // No step re-queued more than STEP.recover deliveries.
    const perCall = send.mock.calls.map(
      ([messages]) =>
        [...(messages as MessageSendRequest<QueueJob>[])].flatMap((m) =>
          m.body.kind === "deliveries" && m.body.appId === app.id ? m.body.refs.filter((r) => r.t === 1) : [],
        ).length,
    );
    expect(Math.max(...perCall)).toBeLessThanOrEqual(STEP.recover);
    expect(perCall.filter((n) => n > 0).length).toBeGreaterThanOrEqual(2);
  });

  it("answers 404 for another application's message, endpoint or attempt", async () => {
    const s = await scenario();
    const other = await createApp();
    const attempts = await attemptsOf(`/api/v1/app/${s.app.id}/attempt/msg/${s.msg.id}`);
    const attemptId = attempts[0]?.id;
    for (const [method, path] of [
      ["GET", `/api/v1/app/${other.id}/attempt/msg/${s.msg.id}`],
      ["GET", `/api/v1/app/${other.id}/attempt/endpoint/${s.ok.id}`],
      ["GET", `/api/v1/app/${other.id}/msg/${s.msg.id}/attempt/${attemptId}`],
      ["DELETE", `/api/v1/app/${other.id}/msg/${s.msg.id}/attempt/${attemptId}/content`],
      ["GET", `/api/v1/app/${other.id}/msg/${s.msg.id}/endpoint`],
      ["POST", `/api/v1/app/${other.id}/msg/${s.msg.id}/endpoint/${s.ok.id}/resend`],
      ["GET", `/api/v1/app/${other.id}/endpoint/${s.ok.id}/msg`],
      ["GET", `/api/v1/app/${other.id}/endpoint/${s.ok.id}/stats`],
      ["GET", `/api/v1/app/app_unknown/attempt/msg/${s.msg.id}`],
    ] as const) {
      const res = await api(method, path);
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    const recover = await api("POST", `/api/v1/app/${other.id}/endpoint/${s.ok.id}/recover`, {
      since: new Date(0).toISOString(),
    });
    expect(recover.status).toBe(404);
    // The attempt is untouched.
    expect((await attemptRows(s.app.id, s.msg.id)).find((a) => a.id === attemptId)?.response).not.toBe("");
  });
});
