import { randomBytes, webcrypto } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { Svix } from "svix";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createState,
  type Gateway,
  type GatewayState,
  launchGateway,
  queryD1,
  type Receiver,
  startReceiver,
} from "./harness";

// An encryption-key rotation on the real gateway (wrangler dev, local D1), the way the README
// tells an operator to do it, with a receiver verifying every delivery with standardwebhooks:
//   1. the old deployment: ENCRYPTION_KEY only; one endpoint's columns as v1 ciphertexts, as
//      the code before the keyring wrote them;
//   2. the keyring: ENCRYPTION_KEYS = "k2:<new>,default:<old>"; then the scheduled
//      re-encryption (wrangler's /__scheduled) moves every row to k2;
//   3. only the new key: ENCRYPTION_KEYS = "k2:<new>", ENCRYPTION_KEY gone.
// Each restart keeps the state folder, as a redeploy keeps D1.
const OLD_KEY = randomBytes(32).toString("base64");
const NEW_KEY = randomBytes(32).toString("base64");
const SECRET_A = `whsec_${randomBytes(24).toString("base64")}`;
const SECRET_B = `whsec_${randomBytes(24).toString("base64")}`;
const CRON = "*/5 * * * *";

/** AES-256-GCM as src/security/secrets.ts does it: "v1." (no associated data) or "v2.<kid>.". */
async function seal(key: string, value: unknown, v2?: { kid: string; field: string }): Promise<string> {
  const k = await webcrypto.subtle.importKey("raw", Buffer.from(key, "base64"), "AES-GCM", false, [
    "encrypt",
  ]);
  const iv = webcrypto.getRandomValues(new Uint8Array(12));
  const params = v2
    ? { name: "AES-GCM", iv, additionalData: Buffer.from(v2.field) }
    : { name: "AES-GCM", iv };
  const ct = await webcrypto.subtle.encrypt(params, k, Buffer.from(JSON.stringify(value)));
  const body = Buffer.concat([iv, Buffer.from(ct)]).toString("base64");
  return v2 ? `v2.${v2.kid}.${body}` : `v1.${body}`;
}

describe("encryption key rotation end to end", () => {
  let state: GatewayState;
  let gateway: Gateway | null = null;
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await startReceiver();
    state = await createState({ ENCRYPTION_KEY: OLD_KEY });
  });
  afterAll(async () => {
    await gateway?.stop();
    await receiver?.close();
    state?.remove();
  });

  async function restart(vars: Record<string, string | null>): Promise<Gateway> {
    await gateway?.stop();
    gateway = await launchGateway(state, { vars });
    return gateway;
  }

  /** Sends one message and checks both endpoints got it, signed with their own secret, with their header. */
  async function deliverAndVerify(gw: Gateway, appId: string, phase: string): Promise<void> {
    const svix = new Svix(gw.token, { serverUrl: gw.url });
    const msg = await svix.message.create(appId, { eventType: "key.rotation", payload: { phase } });
    const got = () => receiver.requests.filter((r) => r.headers["webhook-id"] === msg.id && r.path !== "/c");
    await receiver.waitFor(() => got().length >= 2, 30_000, gw);
    for (const req of got()) {
      const [secret, tenant] = req.path === "/a" ? [SECRET_A, "a"] : [SECRET_B, "b"];
      const payload = new Webhook(secret).verify(req.body, req.headers as Record<string, string>);
      expect(payload, `${phase} ${req.path}`).toEqual({ phase });
      expect(req.headers["x-tenant"], `${phase} ${req.path}`).toBe(tenant);
    }
    expect(
      got()
        .map((r) => r.path)
        .sort(),
    ).toEqual(["/a", "/b"]);
  }

  it("keeps every delivery verifying before, during and after the switch", async () => {
    // --- 1. the old single-key deployment ---------------------------------------------------
    let gw = await restart({});
    let svix = new Svix(gw.token, { serverUrl: gw.url });
    const app = await svix.application.create({ name: "rotation" });
    const endpoint = (path: string, secret?: string, tenant?: string) =>
      svix.endpoint.create(app.id, {
        url: `${receiver.url}${path}`,
        ...(secret ? { secret } : {}),
        ...(tenant ? { headers: { "X-Tenant": tenant } } : {}),
      });
    const a = await endpoint("/a", SECRET_A, "a");
    const b = await endpoint("/b", SECRET_B, "b");
    const c = await endpoint("/c");
    await deliverAndVerify(gw, app.id, "single key");

    // B's columns as the code before the keyring wrote them: v1, under ENCRYPTION_KEY.
    await gw.stop();
    const v1Secrets = await seal(OLD_KEY, { current: SECRET_B, previous: [] });
    const v1Headers = await seal(OLD_KEY, { "X-Tenant": "b" });
    await queryD1(
      state,
      `UPDATE endpoints SET secrets = '${v1Secrets}', headers = '${v1Headers}' WHERE id = '${b.id}'`,
    );
    gw = await restart({});
    await deliverAndVerify(gw, app.id, "single key, v1 rows");

    // --- 2. the keyring: new key first, the old one listed ----------------------------------
    gw = await restart({ ENCRYPTION_KEYS: `k2:${NEW_KEY},default:${OLD_KEY}` });
    await deliverAndVerify(gw, app.id, "keyring before re-encryption");
    const ran = await fetch(`${gw.url}/__scheduled?cron=${encodeURIComponent(CRON)}`);
    expect(ran.status, await ran.text()).toBe(200);
    svix = new Svix(gw.token, { serverUrl: gw.url });
    expect((await svix.endpoint.getSecret(app.id, b.id)).key).toBe(SECRET_B);
    await deliverAndVerify(gw, app.id, "keyring after re-encryption");
    await gw.stop();
    const rows = await queryD1<{ id: string; secrets: string; headers: string | null }>(
      state,
      "SELECT id, secrets, headers FROM endpoints",
    );
    expect(rows.map((r) => r.id).sort()).toEqual([a.id, b.id, c.id].sort());
    for (const row of rows) {
      expect(row.secrets.startsWith("v2.k2."), `${row.id} secrets`).toBe(true);
      if (row.headers !== null) expect(row.headers.startsWith("v2.k2."), `${row.id} headers`).toBe(true);
    }

    // A canary under the old key, written after the re-encryption: once the old key is gone it
    // must not open, which shows the last launch really runs without it.
    const canary = await seal(
      OLD_KEY,
      { current: SECRET_A, previous: [] },
      { kid: "default", field: `endpoints:${c.id}:secrets` },
    );
    await queryD1(state, `UPDATE endpoints SET secrets = '${canary}' WHERE id = '${c.id}'`);

    // --- 3. only the new key -----------------------------------------------------------------
    gw = await restart({ ENCRYPTION_KEYS: `k2:${NEW_KEY}`, ENCRYPTION_KEY: null });
    svix = new Svix(gw.token, { serverUrl: gw.url });
    await deliverAndVerify(gw, app.id, "new key only");
    expect((await svix.endpoint.getSecret(app.id, a.id)).key).toBe(SECRET_A);
    expect((await svix.endpoint.getSecret(app.id, b.id)).key).toBe(SECRET_B);
    const lost = await gw.api("GET", `/api/v1/app/${app.id}/endpoint/${c.id}/secret`);
    expect(lost.status).toBe(500);
    const error = (await lost.json()) as { code: string; detail: string };
    expect(error.code).toBe("internal_error");
    expect(error.detail).toContain('key id "default" is not in the keyring');
  });
});
