import { type EndpointRow, updateEndpoint } from "../db/endpoints";
import { configChanged } from "../log/client";
import { decryptJson, encryptJson, endpointField } from "../security/secrets";
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

async function writeHeaders(env: Env, endpoint: EndpointRow, headers: Headers): Promise<void> {
  checkHeaderCount(headers, LOC);
  const stored = Object.keys(headers).length
    ? await encryptJson(env, endpointField(endpoint.id, "headers"), headers)
    : null;
  await updateEndpoint(env.DB, { ...endpoint, headers: stored, updated_at: Date.now() }).run();
  await configChanged(env, endpoint.app_id);
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
  env,
  app,
  idOrUid,
  headers,
}: EndpointTarget & { headers: Headers }): Promise<void> {
  validateHeaders(headers, LOC);
  const endpoint = await requireEndpoint(env.DB, app.id, idOrUid);
  await writeHeaders(env, endpoint, headers);
}

/** PATCH: sets the given headers and removes those given as null. */
export async function patchEndpointHeaders({
  env,
  app,
  idOrUid,
  headers,
}: EndpointTarget & { headers: Record<string, string | null> }): Promise<void> {
  validateHeaders(headers, LOC);
  const endpoint = await requireEndpoint(env.DB, app.id, idOrUid);
  await writeHeaders(env, endpoint, mergeHeaders(await readHeaders(env, endpoint), headers));
}
