import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type EncryptedRow, rowsNotUnder, TABLE_START } from "../../src/db/key-rotation";
import worker from "../../src/index";
import {
  base64Decode,
  base64Encode,
  decryptJson,
  encryptJson,
  endpointField,
  type KeySource,
  type SigningKeys,
  storedKeyId,
} from "../../src/security/secrets";
import { applyMoves, planMoves, reencryptEndpointSecrets } from "../../src/services/secret-reencryption";
import { api, createApp, json } from "../helpers";

// The re-encryption against the real D1: the API writes under ENCRYPTION_KEY (kid "default"),
// the runs here use a keyring whose newest key "k2" the API does not know. The tests of this
// file share one database; each leaves every row it made under k2 (or, in the one about it,
// undecryptable), so a run's counts are those of its own test's rows.
const NEW_KEY = base64Encode(new Uint8Array(32).fill(9));
const OLD_KEY = base64Encode(new Uint8Array(32).fill(3));
const RING = {
  DB: env.DB,
  ENCRYPTION_KEYS: `k2:${NEW_KEY},k0:${OLD_KEY}`,
  ENCRYPTION_KEY: env.ENCRYPTION_KEY,
};
/** The keyring once the old keys are removed. */
const ONLY_NEW = { ENCRYPTION_KEYS: `k2:${NEW_KEY}` };
const URL_OK = "https://example.com/hook";
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ROTATED = "whsec_QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0";

async function createEndpoint(appId: string, body: Record<string, unknown> = {}) {
  const res = await api("POST", `/api/v1/app/${appId}/endpoint`, { url: URL_OK, secret: SECRET, ...body });
  if (res.status !== 201) throw new Error(`createEndpoint: ${res.status} ${await res.text()}`);
  return json<{ id: string }>(res);
}

const stored = (appId: string, id: string) =>
  env.DB.prepare("SELECT app_id, id, secrets, headers FROM endpoints WHERE app_id = ?1 AND id = ?2")
    .bind(appId, id)
    .first<EncryptedRow>();

async function setStored(appId: string, id: string, secrets: string, headers: string | null) {
  await env.DB.prepare("UPDATE endpoints SET secrets = ?3, headers = ?4 WHERE app_id = ?1 AND id = ?2")
    .bind(appId, id, secrets, headers)
    .run();
}

/** The format written before the keyring: "v1." + base64(IV || ciphertext), no associated data. */
async function v1Json(encodedKey: string, value: unknown): Promise<string> {
  const key = await crypto.subtle.importKey("raw", base64Decode(encodedKey), "AES-GCM", false, ["encrypt"]);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const plaintext = new TextEncoder().encode(JSON.stringify(value));
  const ct = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, plaintext));
  return `v1.${base64Encode(new Uint8Array([...iv, ...ct]))}`;
}

/** What the endpoint's columns hold, read under `keys`. */
async function plaintexts(keys: KeySource, row: EncryptedRow | null) {
  if (!row) throw new Error("row missing");
  return {
    secrets: await decryptJson<SigningKeys>(keys, endpointField(row.id, "secrets"), row.secrets),
    headers: row.headers && (await decryptJson(keys, endpointField(row.id, "headers"), row.headers)),
  };
}

const keys = (current: string): SigningKeys => ({ current, previous: [] });

describe("re-encryption to the newest key", () => {
  it("moves v1, single-key and older-kid rows to the newest key; each reads the same after", async () => {
    const app = await createApp();
    // Under ENCRYPTION_KEY, as the API writes: v2 with kid "default".
    const single = await createEndpoint(app.id, { headers: { "X-Team": "a" } });
    // v1 in both columns, as written before the keyring.
    const legacy = await createEndpoint(app.id);
    await setStored(
      app.id,
      legacy.id,
      await v1Json(env.ENCRYPTION_KEY, keys(SECRET)),
      await v1Json(env.ENCRYPTION_KEY, { "X-Team": "b" }),
    );
    // Under an older keyring key.
    const older = await createEndpoint(app.id);
    const k0 = { ENCRYPTION_KEYS: `k0:${OLD_KEY}` };
    await setStored(
      app.id,
      older.id,
      await encryptJson(k0, endpointField(older.id, "secrets"), keys(SECRET)),
      null,
    );
    // Only the headers are behind.
    const half = await createEndpoint(app.id);
    await setStored(
      app.id,
      half.id,
      await encryptJson(RING, endpointField(half.id, "secrets"), keys(SECRET)),
      await v1Json(env.ENCRYPTION_KEY, { "X-Team": "d" }),
    );
    const ids = [single.id, legacy.id, older.id, half.id];
    expect(storedKeyId((await stored(app.id, single.id))?.secrets ?? "")).toBe("default");

    const report = await reencryptEndpointSecrets(RING);
    expect(report).toMatchObject({ kid: "k2", moved: 4, raced: 0, undecryptable: 0, reachedEnd: true });
    expect(report.from).toEqual({ default: 1, v1: 2, k0: 1 });
    const rows = await Promise.all(ids.map((id) => stored(app.id, id)));
    for (const row of rows) {
      expect(storedKeyId(row?.secrets ?? "")).toBe("k2");
      if (row?.headers) expect(storedKeyId(row.headers)).toBe("k2");
    }
    // Readable with only the new key, unchanged.
    const read = await Promise.all(rows.map((row) => plaintexts(ONLY_NEW, row)));
    expect(read.map((r) => r.secrets)).toEqual(ids.map(() => keys(SECRET)));
    expect(read.map((r) => r.headers)).toEqual([
      { "X-Team": "a" },
      { "X-Team": "b" },
      null,
      { "X-Team": "d" },
    ]);

    // Nothing is left: a second run moves nothing.
    expect(await reencryptEndpointSecrets(RING)).toMatchObject({ moved: 0, reachedEnd: true });
  });

  it("never undoes a secret rotation that lands between its read and its write", async () => {
    const app = await createApp();
    const ep = await createEndpoint(app.id);
    const seen = (await rowsNotUnder(env.DB, "v2.k2.", TABLE_START, 100)).filter((r) => r.id === ep.id);
    const moves = await planMoves(RING, seen);
    expect(moves).toHaveLength(1);

    const rotate = await api("POST", `/api/v1/app/${app.id}/endpoint/${ep.id}/secret/rotate`, {
      key: ROTATED,
    });
    expect(rotate.status).toBe(204);
    expect(await applyMoves(env.DB, moves)).toEqual([false]);
    const secret = await api("GET", `/api/v1/app/${app.id}/endpoint/${ep.id}/secret`);
    expect((await json<{ key: string }>(secret)).key).toBe(ROTATED);

    // The next run moves the rotated value, with the old secret still in its grace period.
    await reencryptEndpointSecrets(RING);
    const { secrets } = await plaintexts(ONLY_NEW, await stored(app.id, ep.id));
    expect(secrets.current).toBe(ROTATED);
    expect(secrets.previous.map((p) => p.key)).toEqual([SECRET]);
  });

  it("finishes on the next run after a run that stopped midway", async () => {
    const app = await createApp();
    const eps = [];
    for (let i = 0; i < 5; i++) {
      const ep = await createEndpoint(app.id);
      await setStored(app.id, ep.id, await v1Json(env.ENCRYPTION_KEY, keys(SECRET)), null);
      eps.push(ep);
    }
    // A run that ends after its first batch, as one killed there would: rows are moved or not,
    // never half-written, and every row reads under the keyring.
    const cut = await reencryptEndpointSecrets(RING, { batchRows: 2, maxBatches: 1 });
    expect(cut).toMatchObject({ moved: 2, reachedEnd: false });
    const between = await Promise.all(eps.map((ep) => stored(app.id, ep.id)));
    expect(between.map((r) => storedKeyId(r?.secrets ?? ""))).toEqual(["k2", "k2", "v1", "v1", "v1"]);
    for (const row of between) expect((await plaintexts(RING, row)).secrets).toEqual(keys(SECRET));

    const rerun = await reencryptEndpointSecrets(RING);
    expect(rerun).toMatchObject({ moved: 3, reachedEnd: true });
    for (const ep of eps) {
      expect((await plaintexts(ONLY_NEW, await stored(app.id, ep.id))).secrets).toEqual(keys(SECRET));
    }
  });

  it("passes over a row no listed key opens, names it, and moves the rows after it", async () => {
    const app = await createApp();
    const lost = await createEndpoint(app.id);
    const gone = { ENCRYPTION_KEYS: `gone:${base64Encode(new Uint8Array(32).fill(1))}` };
    await setStored(
      app.id,
      lost.id,
      await encryptJson(gone, endpointField(lost.id, "secrets"), keys(SECRET)),
      null,
    );
    const after = [await createEndpoint(app.id), await createEndpoint(app.id)];

    // One row per batch: the walk must step past the row it cannot move, not read it again.
    const report = await reencryptEndpointSecrets(RING, { batchRows: 1, maxBatches: 10 });
    expect(report).toMatchObject({
      moved: 2,
      undecryptable: 1,
      undecryptableIds: [lost.id],
      reachedEnd: true,
    });
    expect(storedKeyId((await stored(app.id, lost.id))?.secrets ?? "")).toBe("gone");
    for (const ep of after) expect(storedKeyId((await stored(app.id, ep.id))?.secrets ?? "")).toBe("k2");
  });

  it("runs from the Cron Trigger under the Worker's own keys", async () => {
    const app = await createApp();
    const ep = await createEndpoint(app.id);
    await setStored(app.id, ep.id, await v1Json(env.ENCRYPTION_KEY, keys(SECRET)), null);
    await worker.scheduled(createScheduledController({ cron: "*/5 * * * *" }), env, createExecutionContext());
    const row = await stored(app.id, ep.id);
    expect(storedKeyId(row?.secrets ?? "")).toBe("default");
    expect((await plaintexts(env, row)).secrets).toEqual(keys(SECRET));
  });
});

describe("GET .../secret with an undecryptable secret", () => {
  it("answers a 500 in the Svix error shape that says why", async () => {
    const app = await createApp();
    const ep = await createEndpoint(app.id);
    // Moved to a key this Worker does not have (an old key removed too early looks the same).
    await reencryptEndpointSecrets(RING);
    const res = await api("GET", `/api/v1/app/${app.id}/endpoint/${ep.id}/secret`);
    expect(res.status).toBe(500);
    const body = await json<{ code: string; detail: string }>(res);
    expect(body.code).toBe("internal_error");
    expect(body.detail).toContain(`endpoints:${ep.id}:secrets`);
    expect(body.detail).toContain('key id "k2" is not in the keyring');
    expect(JSON.stringify(body)).not.toContain("whsec_");
  });
});
