import { describe, expect, it } from "vitest";
import { KeyringError, parseKeyring } from "../../src/security/keyring";
import {
  activeSecrets,
  base64Decode,
  base64Encode,
  decryptJson,
  decryptString,
  encryptJson,
  encryptString,
  endpointField,
  generateSigningSecret,
  isUnderNewestKey,
  storedKeyId,
  UndecryptableSecret,
} from "../../src/security/secrets";

const KEY = base64Encode(new Uint8Array(32).map((_, i) => i));
const OTHER_KEY = base64Encode(new Uint8Array(32).map((_, i) => 255 - i));
const THIRD_KEY = base64Encode(new Uint8Array(32).fill(7));
const SINGLE = { ENCRYPTION_KEY: KEY };
const FIELD = endpointField("ep_a", "secrets");

/** The format written before the keyring: "v1." + base64(IV || ciphertext), no associated data. */
async function v1Ciphertext(encodedKey: string, plaintext: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", base64Decode(encodedKey), "AES-GCM", false, ["encrypt"]);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = new Uint8Array(
    await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, new TextEncoder().encode(plaintext)),
  );
  return `v1.${base64Encode(new Uint8Array([...iv, ...ct]))}`;
}

describe("secret encryption", () => {
  it("round-trips strings and JSON in the v2 format under the single key's kid", async () => {
    const stored = await encryptString(SINGLE, FIELD, "whsec_c2VjcmV0");
    expect(stored.startsWith("v2.default.")).toBe(true);
    expect(stored).not.toContain("whsec_");
    expect(await decryptString(SINGLE, FIELD, stored)).toBe("whsec_c2VjcmV0");

    const value = { current: "whsec_a", previous: [{ key: "whsec_b", expiresAt: 1 }] };
    expect(await decryptJson(SINGLE, FIELD, await encryptJson(SINGLE, FIELD, value))).toEqual(value);
  });

  it("produces a different ciphertext each time (fresh IV)", async () => {
    const a = await encryptString(SINGLE, FIELD, "same plaintext");
    const b = await encryptString(SINGLE, FIELD, "same plaintext");
    expect(a).not.toBe(b);
  });

  it("detects tampering with the ciphertext", async () => {
    const stored = await encryptString(SINGLE, FIELD, "whsec_c2VjcmV0");
    const prefix = "v2.default.";
    for (const at of ["last", "first"] as const) {
      const bytes = base64Decode(stored.slice(prefix.length));
      const i = at === "last" ? bytes.length - 1 : 0;
      bytes[i] = (bytes[i] ?? 0) ^ 1;
      await expect(decryptString(SINGLE, FIELD, `${prefix}${base64Encode(bytes)}`)).rejects.toThrow(
        UndecryptableSecret,
      );
    }
  });

  it("binds a ciphertext to its row and column", async () => {
    const stored = await encryptString(SINGLE, FIELD, "whsec_c2VjcmV0");
    for (const elsewhere of [endpointField("ep_b", "secrets"), endpointField("ep_a", "headers")]) {
      await expect(decryptString(SINGLE, elsewhere, stored)).rejects.toThrow(/belongs to another row/);
    }
  });

  it("answers an undecryptable value with a 500 in the API's error shape naming the row and kid", async () => {
    const stored = await encryptString({ ENCRYPTION_KEYS: `old:${OTHER_KEY}` }, FIELD, "whsec_c2VjcmV0");
    const err = await decryptString(SINGLE, FIELD, stored).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UndecryptableSecret);
    const { status, code, detail } = err as UndecryptableSecret;
    expect({ status, code }).toEqual({ status: 500, code: "internal_error" });
    expect(detail).toContain("endpoints:ep_a:secrets");
    expect(detail).toContain('key id "old" is not in the keyring');
    expect(detail).not.toContain(OTHER_KEY);
    await expect(decryptString(SINGLE, FIELD, "plaintext")).rejects.toThrow(/unknown ciphertext format/);
  });
});

describe("keyring", () => {
  const RING = { ENCRYPTION_KEYS: `k2:${OTHER_KEY}, k1:${KEY}` };

  it("encrypts under the first (newest) key and decrypts under any listed key", async () => {
    const old = await encryptString({ ENCRYPTION_KEYS: `k1:${KEY}` }, FIELD, "old");
    const fresh = await encryptString(RING, FIELD, "new");
    expect(storedKeyId(old)).toBe("k1");
    expect(storedKeyId(fresh)).toBe("k2");
    expect(await decryptString(RING, FIELD, old)).toBe("old");
    expect(await decryptString(RING, FIELD, fresh)).toBe("new");
    expect(isUnderNewestKey(RING, fresh)).toBe(true);
    expect(isUnderNewestKey(RING, old)).toBe(false);
    // Once k1 is removed, its ciphertexts no longer open.
    await expect(decryptString({ ENCRYPTION_KEYS: `k2:${OTHER_KEY}` }, FIELD, old)).rejects.toThrow(
      /key id "k1" is not in the keyring/,
    );
  });

  it("reads v1 ciphertexts under the single key and under a keyring listing the old key", async () => {
    const v1 = await v1Ciphertext(KEY, "whsec_legacy");
    expect(storedKeyId(v1)).toBe("v1");
    expect(await decryptString(SINGLE, FIELD, v1)).toBe("whsec_legacy");
    // v1 carries no associated data: any row reads it, until the re-encryption moves it to v2.
    expect(await decryptString(RING, endpointField("ep_other", "headers"), v1)).toBe("whsec_legacy");
    expect(isUnderNewestKey(RING, v1)).toBe(false);
    await expect(decryptString({ ENCRYPTION_KEYS: `k2:${OTHER_KEY}` }, FIELD, v1)).rejects.toThrow(
      /no listed key opens this v1 ciphertext/,
    );
  });

  it("counts ENCRYPTION_KEY as the oldest entry, kid default", async () => {
    const single = await encryptString(SINGLE, FIELD, "from the single key");
    const both = { ENCRYPTION_KEYS: `k2:${OTHER_KEY}`, ENCRYPTION_KEY: KEY };
    expect(parseKeyring(both).all.map((e) => e.kid)).toEqual(["k2", "default"]);
    expect(await decryptString(both, FIELD, single)).toBe("from the single key");
    // Listing the same key as default too is the documented rotation step, not a conflict.
    const listed = { ENCRYPTION_KEYS: `k2:${OTHER_KEY},default:${KEY}`, ENCRYPTION_KEY: KEY };
    expect(parseKeyring(listed).all.map((e) => e.kid)).toEqual(["k2", "default"]);
    expect(await decryptString(listed, FIELD, single)).toBe("from the single key");
  });

  it.each([
    ["nothing set", {}, /neither ENCRYPTION_KEYS nor ENCRYPTION_KEY is set/],
    ["an entry without a kid", { ENCRYPTION_KEYS: KEY }, /entry 1 is not <kid>:<base64 of 32 bytes>/],
    ["a kid with a dot", { ENCRYPTION_KEYS: `k.2:${KEY}` }, /entry 1: the kid must be/],
    [
      "bad base64",
      { ENCRYPTION_KEYS: `k2:${OTHER_KEY},k1:not*base64` },
      /entry 2 \(kid "k1"\): the key is not base64/,
    ],
    ["a short key", { ENCRYPTION_KEYS: `k1:${KEY.slice(0, 24)}` }, /exactly 32 bytes/],
    ["a bad single key", { ENCRYPTION_KEY: base64Encode(new Uint8Array(16)) }, /ENCRYPTION_KEY: .*32 bytes/],
    ["a duplicate kid", { ENCRYPTION_KEYS: `k1:${KEY},k1:${OTHER_KEY}` }, /kid "k1" twice/],
    [
      "default differing from ENCRYPTION_KEY",
      { ENCRYPTION_KEYS: `k2:${OTHER_KEY},default:${THIRD_KEY}`, ENCRYPTION_KEY: KEY },
      /kid "default" with another key than ENCRYPTION_KEY/,
    ],
  ])("refuses %s with a clear error that shows no key material", (_name, source, message) => {
    let caught: unknown;
    try {
      parseKeyring(source);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(KeyringError);
    const text = (caught as Error).message;
    expect(text).toMatch(message);
    for (const key of [KEY, OTHER_KEY, THIRD_KEY, KEY.slice(0, 24), "not*base64"])
      expect(text).not.toContain(key);
  });

  it("fails encryption with the keyring error when misconfigured", async () => {
    await expect(encryptString({}, FIELD, "x")).rejects.toThrow(KeyringError);
  });
});

describe("generateSigningSecret", () => {
  it("is whsec_ followed by base64 of 24 random bytes", () => {
    const secret = generateSigningSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(base64Decode(secret.slice("whsec_".length))).toHaveLength(24);
    expect(generateSigningSecret()).not.toBe(secret);
  });
});

describe("activeSecrets", () => {
  it("lists the current key first and only unexpired previous keys", () => {
    const keys = {
      current: "whsec_new",
      previous: [
        { key: "whsec_old", expiresAt: 2_000 },
        { key: "whsec_older", expiresAt: 500 },
      ],
    };
    expect(activeSecrets(keys, 1_000)).toEqual(["whsec_new", "whsec_old"]);
    expect(activeSecrets(keys, 3_000)).toEqual(["whsec_new"]);
  });
});
