import { describe, expect, it, vi } from "vitest";
import { Producer } from "../../src/log/producer";
import type { DeliveriesJob, DeliveryRef } from "../../src/queue/jobs";

const item = (m: string) => ({ ref: { m, e: "ep_1", p: null, n: 0, t: 0 } as DeliveryRef, delaySeconds: 0 });

describe("the log object's producer", () => {
  it("sends a delivery added at any moment around the end of a send, without another add", async () => {
    for (let hops = 0; hops < 30; hops++) {
      const sent: string[] = [];
      let release: (() => void) | null = null;
      const sendBatch = vi.fn(async (messages: MessageSendRequest<DeliveriesJob>[]) => {
        // The first call stays in flight until released; later ones answer at once.
        if (sendBatch.mock.calls.length === 1) await new Promise<void>((r) => (release = r));
        sent.push(...messages.flatMap((m) => m.body.refs.map((r) => r.m)));
      });
      const producer = new Producer({ sendBatch } as unknown as Queue, () => {});
      producer.add("app_1", 0, [item("a")]);
      await vi.waitFor(() => expect(release).not.toBeNull());
      (release as unknown as () => void)();
      // The second delivery arrives a few microtasks after the first send returned.
      for (let i = 0; i < hops; i++) await Promise.resolve();
      producer.add("app_1", 0, [item("b")]);
      await producer.drain();
      await vi.waitFor(() => expect(sent).toEqual(["a", "b"]));
    }
  });

  it("packs deliveries added while it lingers into one queue message", async () => {
    const sendBatch = vi.fn(async (_messages: MessageSendRequest<DeliveriesJob>[]) => {});
    const producer = new Producer({ sendBatch } as unknown as Queue, () => {});
    for (const m of ["a", "b", "c"]) producer.add("app_1", 0, [item(m)]);
    await producer.drain();
    expect(sendBatch).toHaveBeenCalledTimes(1);
    const [messages] = sendBatch.mock.calls[0] ?? [[]];
    expect(messages.map((x) => x.body.refs.map((r) => r.m))).toEqual([["a", "b", "c"]]);
  });

  it("reports the deliveries of a failed send", async () => {
    const failed: string[] = [];
    const sendBatch = vi.fn(async () => {
      throw new Error("queue unavailable");
    });
    const producer = new Producer({ sendBatch } as unknown as Queue, (items) =>
      failed.push(...items.map((i) => i.ref.m)),
    );
    producer.add("app_1", 0, [item("a"), item("b")]);
    await producer.drain();
    expect(failed).toEqual(["a", "b"]);
  });
});
