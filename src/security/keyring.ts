// The encryption keyring, from two Worker secrets:
//   ENCRYPTION_KEYS  comma-separated `<kid>:<base64 of 32 bytes>`, the first entry newest;
//   ENCRYPTION_KEY   a single base64 key (the format before the keyring): it counts as an
//                    entry `default:<key>` at the end of the ring.
// New ciphertexts use the newest key; every listed key decrypts. Errors name the entry by
// position and kid, never by its key material, since they reach log lines.

/** What the keyring is read from: the Worker's env, or a plain object in tests. */
export interface KeySource {
  ENCRYPTION_KEYS?: string;
  ENCRYPTION_KEY?: string;
}

export interface KeyEntry {
  kid: string;
  key: Promise<CryptoKey>;
  /** The key's base64 form, only to spot a kid listed twice with different keys. */
  material: string;
}

export interface Keyring {
  /** Encrypts every new ciphertext. */
  newest: KeyEntry;
  /** Every listed key, newest first. */
  all: KeyEntry[];
  byKid: Map<string, KeyEntry>;
}

/** The kid of ENCRYPTION_KEY: list the old key under this name when moving to ENCRYPTION_KEYS. */
export const DEFAULT_KID = "default";
// Kids appear in stored ciphertexts ("v2.<kid>.") and log lines: no dots, short.
const KID = /^[A-Za-z0-9_-]{1,32}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export class KeyringError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KeyringError";
  }
}

// Parsed rings by their configuration; an isolate sees one or two configurations in its life.
const cache = new Map<string, Keyring>();

export function keyringFrom(source: KeySource): Keyring {
  const cacheKey = `${source.ENCRYPTION_KEYS ?? ""}\n${source.ENCRYPTION_KEY ?? ""}`;
  let ring = cache.get(cacheKey);
  if (!ring) {
    ring = parseKeyring(source);
    cache.set(cacheKey, ring);
  }
  return ring;
}

export function parseKeyring(source: KeySource): Keyring {
  const entries = source.ENCRYPTION_KEYS?.trim()
    ? source.ENCRYPTION_KEYS.split(",").map((text, i) => parseEntry(text, i + 1))
    : [];
  const single = source.ENCRYPTION_KEY?.trim();
  if (single) entries.push(keyEntry(DEFAULT_KID, single, "ENCRYPTION_KEY"));
  const byKid = new Map<string, KeyEntry>();
  const all: KeyEntry[] = [];
  for (const entry of entries) {
    const seen = byKid.get(entry.kid);
    if (!seen) {
      byKid.set(entry.kid, entry);
      all.push(entry);
    } else if (seen.material !== entry.material) {
      throw new KeyringError(
        entry.kid === DEFAULT_KID && single
          ? `ENCRYPTION_KEYS lists kid "${DEFAULT_KID}" with another key than ENCRYPTION_KEY`
          : `ENCRYPTION_KEYS lists kid "${entry.kid}" twice`,
      );
    }
  }
  const newest = all[0];
  if (!newest) throw new KeyringError("neither ENCRYPTION_KEYS nor ENCRYPTION_KEY is set");
  return { newest, all, byKid };
}

function parseEntry(text: string, position: number): KeyEntry {
  const where = `ENCRYPTION_KEYS entry ${position}`;
  const colon = text.indexOf(":");
  if (colon < 0) throw new KeyringError(`${where} is not <kid>:<base64 of 32 bytes>`);
  const kid = text.slice(0, colon).trim();
  if (!KID.test(kid)) throw new KeyringError(`${where}: the kid must be 1-32 of A-Z a-z 0-9 _ -`);
  return keyEntry(kid, text.slice(colon + 1).trim(), `${where} (kid "${kid}")`);
}

function keyEntry(kid: string, encoded: string, where: string): KeyEntry {
  if (!BASE64.test(encoded)) throw new KeyringError(`${where}: the key is not base64`);
  let raw: Uint8Array;
  try {
    raw = Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0));
  } catch {
    throw new KeyringError(`${where}: the key is not base64`);
  }
  if (raw.length !== 32) throw new KeyringError(`${where}: the key must be base64 of exactly 32 bytes`);
  const key = crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
  return { kid, key, material: encoded };
}
