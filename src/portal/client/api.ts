// The JSON API as the page calls it: the token sent as a bearer token, kept in this module's
// memory only (never in storage or a cookie). A 401 ends the session for the whole page.

import { type Ability, allows, type Session } from "./fragment";
import { errorMessage } from "./query";

export { query } from "./query";

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

let session: Session | null = null;
const endListeners = new Set<() => void>();

export function startSession(s: Session): void {
  session = s;
}

/** Whether the token may do `ability`: the page hides the controls it may not use. */
export const can = (ability: Ability): boolean => allows(session?.capabilities, ability);

/** Calls `listener` when the API answers 401; returns the unsubscribe function. */
export function onSessionEnd(listener: () => void): () => void {
  endListeners.add(listener);
  return () => {
    endListeners.delete(listener);
  };
}

/** The application's path prefix: /api/v1/app/<id>. */
export const appPath = (suffix = ""): string =>
  `/api/v1/app/${encodeURIComponent(session?.appId ?? "")}${suffix}`;

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  if (!session) throw new ApiFailure(401, "No session");
  const headers: Record<string, string> = { authorization: `Bearer ${session.token}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "omit",
    cache: "no-store",
  });
  if (res.status === 204) return undefined as T;
  const data: unknown = await res.json().catch(() => null);
  if (res.status === 401) {
    session = null;
    for (const listener of endListeners) listener();
  }
  if (!res.ok) throw new ApiFailure(res.status, errorMessage(res.status, data));
  return data as T;
}

export const get = <T>(path: string) => request<T>("GET", path);

export interface ListResponse<T> {
  data: T[];
  iterator: string | null;
  done: boolean;
}

/** Every page of a list, up to `maxPages` (the catalog and the endpoint list are short). */
export async function getAll<T>(path: string, maxPages = 10): Promise<T[]> {
  const out: T[] = [];
  let iterator: string | null = null;
  for (let i = 0; i < maxPages; i++) {
    const sep = path.includes("?") ? "&" : "?";
    const page: ListResponse<T> = await get(
      `${path}${sep}limit=250${iterator ? `&iterator=${encodeURIComponent(iterator)}` : ""}`,
    );
    out.push(...page.data);
    if (page.done || !page.iterator) break;
    iterator = page.iterator;
  }
  return out;
}
