import { exports } from "cloudflare:workers";

export const ADMIN_TOKEN = "test-admin-token";

/** Calls the worker's fetch handler, authenticated unless `token` is null. */
export async function api(
  method: string,
  path: string,
  body?: unknown,
  options: { token?: string | null; headers?: Record<string, string> } = {},
): Promise<Response> {
  const headers: Record<string, string> = { ...options.headers };
  const token = options.token === undefined ? ADMIN_TOKEN : options.token;
  if (token) headers.authorization = `Bearer ${token}`;
  let payload: string | undefined;
  if (body !== undefined) {
    payload = typeof body === "string" ? body : JSON.stringify(body);
    headers["content-type"] ??= "application/json";
  }
  return exports.default.fetch(
    new Request(`https://edgehook.test${path}`, { method, headers, body: payload }),
  );
}

export async function json<T = Record<string, unknown>>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

export async function createApp(body: Record<string, unknown> = { name: "Test app" }) {
  const res = await api("POST", "/api/v1/app", body);
  if (res.status !== 201) throw new Error(`createApp: ${res.status} ${await res.text()}`);
  return json<{ id: string; uid: string | null; name: string }>(res);
}
