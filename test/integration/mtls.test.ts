import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import type { DeliveryRef } from "../../src/queue/jobs";
import { ADMIN_TOKEN, createApp, json } from "../helpers";
import { asRef, mockReceiver, pack, runDeliveries, spySendBatch, takeQueued } from "./consumer-helpers";
import { createMessage, latestAttempt, RECEIVER, SECRET } from "./delivery-fixtures";

// mTLS client certificates (src/delivery/mtls.ts). The real [[mtls_certificates]] binding is
// remote-only, so the env gets a stand-in: an object whose fetch records what went through it.
// MTLS_MISSING is declared but not bound, as after a binding is removed from wrangler.toml.

afterEach(() => {
  vi.restoreAllMocks();
});

/** A stand-in certificate binding: answers 200 and keeps the requests it was asked to send. */
function fakeCertificate() {
  const requests: Request[] = [];
  return {
    requests,
    binding: {
      fetch: async (input: RequestInfo, init?: RequestInit) => {
        requests.push(new Request(input, init));
        return new Response("ok via certificate");
      },
    },
  };
}

const cert = fakeCertificate();
const mtlsEnv = { ...env, MTLS_CERTIFICATES: "MTLS_ACME,MTLS_MISSING", MTLS_ACME: cert.binding } as Env;

/** The worker's fetch under mtlsEnv, authenticated. */
async function call(method: string, path: string, body?: unknown): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request(`https://edgehook.test${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
    mtlsEnv,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res;
}

async function endpoint(appId: string, body: Record<string, unknown>) {
  const res = await call("POST", `/api/v1/app/${appId}/endpoint`, { url: RECEIVER, secret: SECRET, ...body });
  expect(res.status, await res.clone().text()).toBe(201);
  return json<{ id: string; mtlsCertificate: string | null }>(res);
}

/** Sends one message to the endpoint under mtlsEnv and answers its attempt. */
async function deliverOne(appId: string, endpointId: string) {
  const send = spySendBatch();
  const msg = await createMessage(appId);
  const queued = await takeQueued(send, appId);
  await runDeliveries(
    [
      pack(
        appId,
        queued.map((q) => asRef(q as DeliveryRef)),
      ),
    ],
    1,
    mtlsEnv,
  );
  return latestAttempt(appId, msg.id, endpointId);
}

describe("endpoint mtlsCertificate", () => {
  it("accepts a declared name, shows it, keeps it across a PUT without it, and clears it with null", async () => {
    const app = await createApp();
    const ep = await endpoint(app.id, { mtlsCertificate: "MTLS_ACME" });
    expect(ep.mtlsCertificate).toBe("MTLS_ACME");
    const put = await call("PUT", `/api/v1/app/${app.id}/endpoint/${ep.id}`, { url: RECEIVER });
    expect(((await json(put)) as { mtlsCertificate: unknown }).mtlsCertificate).toBe("MTLS_ACME");
    const patch = await call("PATCH", `/api/v1/app/${app.id}/endpoint/${ep.id}`, { mtlsCertificate: null });
    expect(((await json(patch)) as { mtlsCertificate: unknown }).mtlsCertificate).toBeNull();
  });

  it("refuses an undeclared name with a 422, and changes nothing", async () => {
    const app = await createApp();
    const created = await call("POST", `/api/v1/app/${app.id}/endpoint`, {
      url: RECEIVER,
      mtlsCertificate: "ADMIN_TOKEN",
    });
    expect(created.status).toBe(422);
    const detail = ((await json(created)) as { detail: { loc: string[] }[] }).detail;
    expect(detail[0]?.loc).toEqual(["body", "mtlsCertificate"]);
    const list = await call("GET", `/api/v1/app/${app.id}/endpoint`);
    expect(((await json(list)) as { data: unknown[] }).data).toHaveLength(0);

    const ep = await endpoint(app.id, {});
    for (const method of ["PUT", "PATCH"]) {
      const res = await call(method, `/api/v1/app/${app.id}/endpoint/${ep.id}`, {
        url: RECEIVER,
        mtlsCertificate: "MTLS_OTHER",
      });
      expect(res.status, method).toBe(422);
    }
    const row = await env.DB.prepare("SELECT mtls_certificate FROM endpoints WHERE id = ?1")
      .bind(ep.id)
      .first<{ mtls_certificate: string | null }>();
    expect(row?.mtls_certificate).toBeNull();
  });
});

describe("deliveries with an mTLS certificate", () => {
  it("go through the certificate's binding; other endpoints use the plain fetch", async () => {
    const plain = mockReceiver(() => new Response("ok plain"));
    const app = await createApp();
    const withCert = await endpoint(app.id, { mtlsCertificate: "MTLS_ACME", url: `${RECEIVER}/cert` });
    const before = cert.requests.length;
    const attempt = await deliverOne(app.id, withCert.id);
    expect(attempt?.response_status_code).toBe(200);
    expect(attempt?.response).toBe("ok via certificate");
    const sent = cert.requests.slice(before);
    expect(sent.map((r) => r.url)).toEqual([`${RECEIVER}/cert`]);
    expect(sent[0]?.headers.get("webhook-signature")).toMatch(/^v1,/);
    expect(plain.requests).toHaveLength(0);

    await call("PATCH", `/api/v1/app/${app.id}/endpoint/${withCert.id}`, { mtlsCertificate: null });
    const after = cert.requests.length;
    const plainAttempt = await deliverOne(app.id, withCert.id);
    expect(plainAttempt?.response).toBe("ok plain");
    expect(plain.requests.map((r) => r.url)).toEqual([`${RECEIVER}/cert`]);
    expect(cert.requests.length).toBe(after);
  });

  it("fail the attempt clearly when the declared certificate is not bound, sending nothing", async () => {
    const plain = mockReceiver(() => new Response("ok plain"));
    const app = await createApp();
    const ep = await endpoint(app.id, { mtlsCertificate: "MTLS_MISSING" });
    const attempt = await deliverOne(app.id, ep.id);
    expect(attempt?.response_status_code).toBe(0);
    expect(attempt?.response).toMatch(
      /mTLS certificate "MTLS_MISSING" has no \[\[mtls_certificates\]\] binding/,
    );
    expect(plain.requests).toHaveLength(0);
  });
});
