import { describe, expect, it } from "vitest";
import {
  activeSecrets,
  base64Decode,
  base64Encode,
  decryptJson,
  decryptString,
  encryptJson,
  encryptString,
  generateSigningSecret,
} from "../../src/security/secrets";

const KEY = base64Encode(new Uint8Array(32).map((_, i) => i));
const OTHER_KEY = base64Encode(new Uint8Array(32).map((_, i) => 255 - i));

describe("secret encryption", () => {
  it("round-trips strings and JSON", async () => {
    const stored = await encryptString(KEY, "whsec_c2VjcmV0");
    expect(stored.startsWith("v1.")).toBe(true);
    expect(stored).not.toContain("whsec_");
    expect(await decryptString(KEY, stored)).toBe("whsec_c2VjcmV0");

    const value = { current: "whsec_a", previous: [{ key: "whsec_b", expiresAt: 1 }] };
    expect(await decryptJson(KEY, await encryptJson(KEY, value))).toEqual(value);
  });

  it("produces a different ciphertext each time (fresh IV)", async () => {
    const a = await encryptString(KEY, "same plaintext");
    const b = await encryptString(KEY, "same plaintext");
    expect(a).not.toBe(b);
  });

  it("detects tampering with the ciphertext", async () => {
    const stored = await encryptString(KEY, "whsec_c2VjcmV0");
    const bytes = base64Decode(stored.slice(3));
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
    await expect(decryptString(KEY, `v1.${base64Encode(bytes)}`)).rejects.toThrow();

    const iv = base64Decode(stored.slice(3));
    iv[0] = (iv[0] ?? 0) ^ 1;
    await expect(decryptString(KEY, `v1.${base64Encode(iv)}`)).rejects.toThrow();
  });

  it("fails to decrypt under another key", async () => {
    const stored = await encryptString(KEY, "whsec_c2VjcmV0");
    await expect(decryptString(OTHER_KEY, stored)).rejects.toThrow();
  });

  it("refuses unknown formats and bad keys", async () => {
    await expect(decryptString(KEY, "plaintext")).rejects.toThrow(/unknown ciphertext format/);
    await expect(encryptString(undefined, "x")).rejects.toThrow(/ENCRYPTION_KEY is not set/);
    await expect(encryptString(base64Encode(new Uint8Array(16)), "x")).rejects.toThrow(/32 bytes/);
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
