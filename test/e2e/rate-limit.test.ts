import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Gateway, type Receiver, startGateway, startReceiver } from "./harness";

// A burst far above an endpoint's throttleRate, through the real queue and Durable Object:
// everything arrives, at no more than the rate plus one second's burst.
describe("per-endpoint rate limit", () => {
  let gateway: Gateway;
  let receiver: Receiver;

  beforeAll(async () => {
    [gateway, receiver] = await Promise.all([startGateway(), startReceiver()]);
  });
  afterAll(async () => {
    await Promise.all([gateway?.stop(), receiver?.close()]);
  });

  async function post<T>(path: string, body: unknown): Promise<T> {
    const res = await gateway.api("POST", path, body);
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}\n${gateway.log()}`);
    return (await res.json()) as T;
  }

  it("delivers 40 messages to an endpoint limited to 5/s, never more than 10 in one second", async () => {
    const rate = 5;
    const app = await post<{ id: string }>("/api/v1/app", { name: "Rate limited" });
    await post(`/api/v1/app/${app.id}/endpoint`, { url: `${receiver.url}/limited`, throttleRate: rate });

    const sent = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        post<{ id: string }>(`/api/v1/app/${app.id}/msg`, { eventType: "burst.test", payload: { i } }),
      ),
    );
    const distinct = () => new Set(receiver.requests.map((r) => r.headers["webhook-id"])).size;
    await receiver
      .waitFor(() => distinct() >= 40, 60_000)
      .catch((err: Error) => {
        throw new Error(`${err.message}: ${distinct()} distinct of 40\n${gateway.log().slice(-4000)}`);
      });

    const received = new Set(receiver.requests.map((r) => r.headers["webhook-id"]));
    expect([...received].sort()).toEqual(sent.map((m) => m.id).sort());

    const times = receiver.requests.map((r) => r.receivedAt).sort((a, b) => a - b);
    const busiest = Math.max(
      ...times.map((start) => times.filter((t) => t >= start && t < start + 1000).length),
    );
    expect(busiest).toBeLessThanOrEqual(2 * rate);
    // 40 at 5/s with a burst of 5 cannot take less than 7 s; 5 s leaves room for clock noise.
    expect((times.at(-1) ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(5000);
  });
});
