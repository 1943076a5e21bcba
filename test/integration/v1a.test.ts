import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { generateSecretKey, publicKeyFor } from "../../src/security/ed25519";
import { api, createApp, json } from "../helpers";
import { nodeVerifiesV1a } from "../v1a-verify";
import { mockReceiver, runDeliveries, spySendBatch, takeQueued } from "./consumer-helpers";
import { createMessage, RECEIVER, SECRET } from "./delivery-fixtures";

// Standard Webhooks v1a (Ed25519) endpoints through the API and the consumer: the receiver
// gets the whpk_ public key and verifies with node:crypto; the whsk_ secret key stays inside.

afterEach(() => {
  vi.restoreAllMocks();
});

async function createEndpoint(appId: string, body: Record<string, unknown>) {
  const res = await api("POST", `/api/v1/app/${appId}/endpoint`, { url: RECEIVER, ...body });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`createEndpoint: ${res.status} ${text}`);
  return { ...(JSON.parse(text) as { id: string }), text };
}

const secretOf = async (appId: string, epId: string) =>
  (await json<{ key: string }>(await api("GET", `/api/v1/app/${appId}/endpoint/${epId}/secret`))).key;

/** Sends one message to the app's endpoints and answers the webhook-signature header each got. */
async function deliverOne(appId: string) {
  const send = spySendBatch();
  const receiver = mockReceiver(() => new Response("ok"));
  const msg = await createMessage(appId, { payload: { v1a: true } });
  const queued = await takeQueued(send, appId);
  await runDeliveries([
    { kind: "deliveries", appId, shard: 0, refs: queued.map(({ m, e, p, n, t }) => ({ m, e, p, n, t })) },
  ]);
  expect(receiver.requests).toHaveLength(1);
  const req = receiver.requests[0] as Request;
  const headers = Object.fromEntries(req.headers);
  return { msg, headers, body: await req.text(), signature: headers["webhook-signature"] as string };
}

const verifies = (publicKey: string, d: Awaited<ReturnType<typeof deliverOne>>) =>
  nodeVerifiesV1a(
    publicKey,
    d.signature,
    d.headers["webhook-id"] as string,
    d.headers["webhook-timestamp"] as string,
    d.body,
  );

describe("v1a (Ed25519) endpoints", () => {
  it("answer the whpk_ public key and never the whsk_ secret key", async () => {
    const app = await createApp();
    const secretKey = await generateSecretKey();
    const seed = btoa(
      String.fromCharCode(...Uint8Array.from(atob(secretKey.slice(5)), (c) => c.charCodeAt(0)).slice(0, 32)),
    );
    const created = await createEndpoint(app.id, { secret: secretKey });
    const base = `/api/v1/app/${app.id}/endpoint/${created.id}`;
    expect(await secretOf(app.id, created.id)).toBe(publicKeyFor(secretKey));

    const answers = [created.text];
    for (const [method, path, body] of [
      ["GET", base],
      ["GET", `/api/v1/app/${app.id}/endpoint`],
      ["PATCH", base, { description: "patched" }],
      ["PUT", base, { url: RECEIVER, description: "put" }],
      ["GET", `${base}/secret`],
      ["GET", `${base}/headers`],
      ["GET", `${base}/stats`],
      ["POST", `${base}/secret/rotate`, { key: secretKey }],
    ] as [string, string, Record<string, unknown>?][]) {
      const res = await api(method, path, body);
      expect(res.status, `${method} ${path}`).toBeLessThan(300);
      answers.push(await res.text());
    }
    for (const text of answers) {
      expect(text).not.toContain("whsk_");
      expect(text).not.toContain(secretKey.slice(5, 40));
      expect(text).not.toContain(seed.slice(0, 40));
    }
  });

  it("take a 32-byte seed as the secret key, and sign deliveries that node:crypto verifies", async () => {
    const app = await createApp();
    const secretKey = await generateSecretKey();
    const seed = btoa(
      String.fromCharCode(...Uint8Array.from(atob(secretKey.slice(5)), (c) => c.charCodeAt(0)).slice(0, 32)),
    );
    const ep = await createEndpoint(app.id, { secret: `whsk_${seed}` });
    const publicKey = await secretOf(app.id, ep.id);
    expect(publicKey).toBe(publicKeyFor(secretKey));

    const d = await deliverOne(app.id);
    expect(d.signature).toMatch(/^v1a,\S+$/);
    expect(JSON.parse(d.body)).toEqual({ v1a: true });
    expect(verifies(publicKey, d)).toBe(true);
    expect(verifies(publicKeyFor(await generateSecretKey()), d)).toBe(false);
  });

  it("generate a v1a key on request, at creation and at rotation (which keeps the scheme)", async () => {
    const app = await createApp();
    const ep = await createEndpoint(app.id, { signatureScheme: "v1a" });
    const first = await secretOf(app.id, ep.id);
    expect(first).toMatch(/^whpk_[A-Za-z0-9+/]{43}=$/);

    // The svix client rotates with an empty body: a v1a endpoint gets a new v1a key.
    const rotate = await api("POST", `/api/v1/app/${app.id}/endpoint/${ep.id}/secret/rotate`, {});
    expect(rotate.status).toBe(204);
    const second = await secretOf(app.id, ep.id);
    expect(second).toMatch(/^whpk_/);
    expect(second).not.toBe(first);

    // During the overlap both keys sign, and each verifies alone.
    const d = await deliverOne(app.id);
    expect(d.signature.split(" ").map((s) => s.split(",")[0])).toEqual(["v1a", "v1a"]);
    expect(verifies(first, d)).toBe(true);
    expect(verifies(second, d)).toBe(true);
  });

  it("sign v1 and v1a side by side across a rotation from one scheme to the other", async () => {
    const app = await createApp();
    const ep = await createEndpoint(app.id, { secret: SECRET });
    const rotate = (body: Record<string, unknown>) =>
      api("POST", `/api/v1/app/${app.id}/endpoint/${ep.id}/secret/rotate`, body);
    expect((await rotate({ signatureScheme: "v1a" })).status).toBe(204);
    const publicKey = await secretOf(app.id, ep.id);
    expect(publicKey).toMatch(/^whpk_/);

    const d = await deliverOne(app.id);
    expect(d.signature.split(" ").map((s) => s.split(",")[0])).toEqual(["v1a", "v1"]);
    expect(verifies(publicKey, d)).toBe(true);
    expect(new Webhook(SECRET).verify(d.body, d.headers)).toEqual({ v1a: true });

    // And back: a v1 key given at rotation, the v1a key still signing during the overlap.
    const next = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
    expect((await rotate({ key: next })).status).toBe(204);
    expect(await secretOf(app.id, ep.id)).toBe(next);
    const back = await deliverOne(app.id);
    expect(back.signature.split(" ").map((s) => s.split(",")[0])).toEqual(["v1", "v1a", "v1"]);
    expect(new Webhook(next).verify(back.body, back.headers)).toEqual({ v1a: true });
    expect(verifies(publicKey, back)).toBe(true);
  });

  it("refuse a malformed or mismatched key with a 422, and change nothing", async () => {
    const app = await createApp();
    const secretKey = await generateSecretKey();
    const bytes = Uint8Array.from(atob(secretKey.slice(5)), (c) => c.charCodeAt(0));
    bytes[63] = (bytes[63] ?? 0) ^ 1;
    const mismatched = `whsk_${btoa(String.fromCharCode(...bytes))}`;
    const res = await api("POST", `/api/v1/app/${app.id}/endpoint`, { url: RECEIVER, secret: mismatched });
    expect(res.status).toBe(422);
    expect((await json<{ detail: { loc: string[] }[] }>(res)).detail[0]?.loc).toEqual(["body", "secret"]);
    const list = await json<{ data: unknown[] }>(await api("GET", `/api/v1/app/${app.id}/endpoint`));
    expect(list.data).toHaveLength(0);

    const ep = await createEndpoint(app.id, { secret: SECRET });
    const base = `/api/v1/app/${app.id}/endpoint/${ep.id}/secret/rotate`;
    for (const body of [
      { key: mismatched },
      { key: "whsk_short=" },
      { key: secretKey, signatureScheme: "v1" },
      { key: SECRET, signatureScheme: "v1a" },
      { signatureScheme: "v2" },
    ]) {
      const rotated = await api("POST", base, body);
      expect(rotated.status, JSON.stringify(body)).toBe(422);
    }
    expect(await secretOf(app.id, ep.id)).toBe(SECRET);
  });
});
