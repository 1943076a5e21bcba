import { type EndpointRow, swapEndpointCiphertext } from "../db/endpoints";
import { configChanged } from "../log/client";
import { isSecretKey, publicKeyFor } from "../security/ed25519";
import { decryptJson, encryptJson, endpointField, type SigningKeys } from "../security/secrets";
import { retryOnConflict } from "./compare-and-set";
import { chooseSigningSecret, type SignatureScheme, schemeOf } from "./endpoint-input-rules";
import { type EndpointTarget, requireEndpoint } from "./endpoints";

/** Svix's rotation overlap: the old secret keeps signing for 24 hours unless told otherwise. */
export const DEFAULT_GRACE_SECONDS = 86_400;
// Each previous key adds a signature to every delivery; rotations beyond this drop the oldest.
const MAX_PREVIOUS_KEYS = 5;

async function readKeys(env: Env, endpoint: EndpointRow): Promise<SigningKeys> {
  return decryptJson<SigningKeys>(env, endpointField(endpoint.id, "secrets"), endpoint.secrets);
}

/**
 * What the receiver verifies with: the whsec_ secret of a v1 endpoint, the whpk_ public key of
 * a v1a one. An Ed25519 secret key never leaves Edgehook.
 */
export async function getEndpointSecret({ env, app, idOrUid }: EndpointTarget): Promise<string> {
  const endpoint = await requireEndpoint(env.DB, app.id, idOrUid);
  const { current } = await readKeys(env, endpoint);
  return isSecretKey(current) ? publicKeyFor(current) : current;
}

/** The keys after a rotation to `current`: the old current key stays valid for `graceMs`. */
function rotatedKeys(keys: SigningKeys, current: string, graceMs: number, now: number): SigningKeys {
  const previous = keys.previous.filter((p) => p.expiresAt > now && p.key !== current);
  if (graceMs > 0 && keys.current !== current)
    previous.unshift({ key: keys.current, expiresAt: now + graceMs });
  return { current, previous: previous.slice(0, MAX_PREVIOUS_KEYS) };
}

interface RotateInput {
  key?: string | null;
  gracePeriodSeconds?: number | null;
  /** Edgehook: the scheme of a generated key; by default the current key's. */
  signatureScheme?: SignatureScheme | null;
}

/**
 * Makes `key` (or a new secret) current; the old one stays valid for the grace period. The
 * write is a compare-and-set on the ciphertext it read: a concurrent write of the secrets makes
 * it read and rotate again, so no rotation is lost and none is undone.
 */
export async function rotateEndpointSecret({
  env,
  app,
  idOrUid,
  input,
}: EndpointTarget & { input: RotateInput }): Promise<void> {
  const graceMs = (input.gracePeriodSeconds ?? DEFAULT_GRACE_SECONDS) * 1000;
  let current: string | null = null;
  await retryOnConflict("The endpoint's secret", async () => {
    const endpoint = await requireEndpoint(env.DB, app.id, idOrUid);
    const keys = await readKeys(env, endpoint);
    // Chosen once: a retry after a conflict installs the same new key.
    current ??= await chooseSigningSecret(
      { secret: input.key, scheme: input.signatureScheme },
      { secret: ["body", "key"], scheme: ["body", "signatureScheme"] },
      schemeOf(keys.current),
    );
    const now = Date.now();
    const secrets = await encryptJson(
      env,
      endpointField(endpoint.id, "secrets"),
      rotatedKeys(keys, current, graceMs, now),
    );
    const change = { expected: endpoint.secrets, value: secrets, now };
    const { meta } = await swapEndpointCiphertext(env.DB, app.id, endpoint.id, "secrets", change).run();
    return meta.changes > 0 ? endpoint : null;
  });
  // The next delivery signs with the new key: the log objects hand out endpoint settings.
  await configChanged(env, app.id);
}
