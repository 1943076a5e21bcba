import { Svix } from "svix";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Gateway, startGateway } from "./harness";

// The official svix client sends an idempotency-key on every POST and retries a POST whose
// answer was lost with the same key. Here the first answer of each POST is dropped after the
// gateway has acted on it: the retry must get the same answer, and the gateway act once.
describe("svix client retries against the running gateway", () => {
  let gateway: Gateway;
  let svix: Svix;
  const seen: { method: string; path: string; key: string | null }[] = [];
  /** The endpoint's secret read right after a rotation whose answer was lost. */
  let secretAfterLostRotation: string | null = null;

  /** A fetch that loses the answer of every first POST (the request did reach the gateway). */
  const lossyFetch = async (input: string | URL | Request, init?: RequestInit) => {
    const req = new Request(input, init);
    const key = req.headers.get("idempotency-key");
    const path = new URL(req.url).pathname;
    seen.push({ method: req.method, path, key });
    const res = await fetch(req);
    const firstTry = seen.filter((s) => s.key === key).length === 1;
    if (req.method === "POST" && firstTry) {
      await res.arrayBuffer();
      if (path.endsWith("/secret/rotate")) secretAfterLostRotation = await readSecret(path);
      throw new TypeError("fetch failed: connection reset");
    }
    return res;
  };

  const readSecret = async (rotatePath: string) => {
    const res = await gateway.api("GET", rotatePath.replace(/\/rotate$/, ""));
    return ((await res.json()) as { key: string }).key;
  };

  beforeAll(async () => {
    gateway = await startGateway();
    svix = new Svix(gateway.token, { serverUrl: gateway.url, fetch: lossyFetch as typeof fetch });
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it("creates one application, event type and endpoint, each answered as the first time", async () => {
    const start = seen.length;
    const app = await svix.application.create({ name: "Retried" });
    const name = `retried.${Date.now().toString(36)}`;
    // Without the key the retry would be a 409: the name exists after the first try.
    const type = await svix.eventType.create({ name, description: "Created once" });
    expect(type.name).toBe(name);
    const endpoint = await svix.endpoint.create(app.id, {
      url: "https://receiver.example.com/webhooks",
      eventTypes: [name],
    });

    const posts = seen.slice(start).filter((s) => s.method === "POST");
    expect(posts).toHaveLength(6);
    for (const [i, post] of posts.entries()) {
      expect(post.key).toMatch(/^auto_/);
      if (i % 2 === 1) expect(post).toEqual(posts[i - 1]);
    }
    const apps = await (await gateway.api("GET", "/api/v1/app?limit=250")).json();
    expect((apps as { data: { name: string }[] }).data.filter((a) => a.name === "Retried")).toHaveLength(1);
    const endpoints = await svix.endpoint.list(app.id);
    expect(endpoints.data.map((e) => e.id)).toEqual([endpoint.id]);
  });

  it("rotates an endpoint's secret once", async () => {
    const app = await svix.application.create({ name: "Rotated" });
    const endpoint = await svix.endpoint.create(app.id, { url: "https://receiver.example.com/webhooks" });
    const before = (await svix.endpoint.getSecret(app.id, endpoint.id)).key;
    await svix.endpoint.rotateSecret(app.id, endpoint.id, {});
    // The retry rotated nothing: the secret is the one the lost first try made current.
    expect(secretAfterLostRotation).toMatch(/^whsec_/);
    expect(secretAfterLostRotation).not.toBe(before);
    expect((await svix.endpoint.getSecret(app.id, endpoint.id)).key).toBe(secretAfterLostRotation);
  });
});
