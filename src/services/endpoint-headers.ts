import { type EndpointRow, swapEndpointCiphertext } from "../db/endpoints";
import { configChanged } from "../log/client";
import { decryptJson, encryptJson, endpointField } from "../security/secrets";
import { retryOnConflict } from "./compare-and-set";
import {
  checkHeaderCount,
  type Headers,
  mergeHeaders,
  redactHeaders,
  validateHeaders,
} from "./endpoint-input-rules";
import { type EndpointTarget, requireEndpoint } from "./endpoints";

const LOC = ["body", "headers"];

async function readHeaders(env: Env, endpoint: EndpointRow): Promise<Headers> {
  return endpoint.headers
    ? decryptJson<Headers>(env, endpointField(endpoint.id, "headers"), endpoint.headers)
    : {};
}

/**
 * Reads the headers, changes them and writes them back as a compare-and-set on the ciphertext it
 * read: a concurrent headers write makes it read and change again, so neither undoes the other.
 */
async function changeHeaders(
  { env, app, idOrUid }: EndpointTarget,
  change: (headers: Headers) => Headers,
): Promise<void> {
  await retryOnConflict("The endpoint's headers", async () => {
    const endpoint = await requireEndpoint(env.DB, app.id, idOrUid);
    const headers = change(await readHeaders(env, endpoint));
    checkHeaderCount(headers, LOC);
    const stored = Object.keys(headers).length
      ? await encryptJson(env, endpointField(endpoint.id, "headers"), headers)
      : null;
    const swap = { expected: endpoint.headers, value: stored, now: Date.now() };
    const { meta } = await swapEndpointCiphertext(env.DB, app.id, endpoint.id, "headers", swap).run();
    return meta.changes > 0 ? endpoint : null;
  });
  await configChanged(env, app.id);
}

/** The endpoint's custom headers, sensitive values left out (named in `sensitive`). */
export async function getEndpointHeaders({
  env,
  app,
  idOrUid,
}: EndpointTarget): Promise<{ headers: Headers; sensitive: string[] }> {
  const endpoint = await requireEndpoint(env.DB, app.id, idOrUid);
  return redactHeaders(await readHeaders(env, endpoint));
}

/** PUT: the given headers replace all custom headers. */
export async function replaceEndpointHeaders({
  headers,
  ...target
}: EndpointTarget & { headers: Headers }): Promise<void> {
  validateHeaders(headers, LOC);
  await changeHeaders(target, () => headers);
}

/** PATCH: sets the given headers and removes those given as null. */
export async function patchEndpointHeaders({
  headers,
  ...target
}: EndpointTarget & { headers: Record<string, string | null> }): Promise<void> {
  validateHeaders(headers, LOC);
  await changeHeaders(target, (old) => mergeHeaders(old, headers));
}
