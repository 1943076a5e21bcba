import { env } from "cloudflare:workers";
import type { PortalTokenRow } from "../../src/db/portal-tokens";
import { api, json } from "../helpers";

// Shared by the app-portal token tests: minting tokens with the admin token, calling the API
// with one, and reading the portal_tokens table.

export interface PortalAccess {
  url: string;
  token: string;
}

/** POST app-portal-access with the admin token; throws unless it answers 200. */
export async function portalAccess(
  appIdOrUid: string,
  body: Record<string, unknown> = {},
): Promise<PortalAccess> {
  const res = await api("POST", `/api/v1/auth/app-portal-access/${appIdOrUid}`, body);
  if (res.status !== 200) throw new Error(`portalAccess: ${res.status} ${await res.text()}`);
  return json<PortalAccess>(res);
}

/** A call made with an app-portal token. */
export const asPortal = (
  token: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) => api(method, path, body, { token, headers });

export async function sha256Hex(value: string): Promise<string> {
  const bytes = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value)));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A portal_tokens row as the table holds it. */
export type TokenRow = PortalTokenRow;

export async function tokenRow(token: string): Promise<TokenRow | null> {
  return env.DB.prepare("SELECT * FROM portal_tokens WHERE hash = ?1")
    .bind(await sha256Hex(token))
    .first<TokenRow>();
}

/** Moves a token's expiry into the past, as time passing would. */
export async function expireInD1(token: string): Promise<void> {
  await env.DB.prepare("UPDATE portal_tokens SET expires_at = ?2 WHERE hash = ?1")
    .bind(await sha256Hex(token), Date.now() - 1)
    .run();
}

export async function countRows(table: string): Promise<number> {
  const row = await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${table}`).first<{ n: number }>();
  return row?.n ?? 0;
}

/** Every row of every D1 table, as one string: what a database reader could see. */
export async function dumpD1(): Promise<string> {
  const { results: tables } = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'",
  ).all<{ name: string }>();
  const parts: string[] = [];
  for (const { name } of tables) {
    const { results } = await env.DB.prepare(`SELECT * FROM "${name}"`).all();
    parts.push(name, JSON.stringify(results));
  }
  return parts.join("\n");
}

export const PORTAL_TOKEN = /^appsk_[A-Za-z0-9_-]{43}$/;
