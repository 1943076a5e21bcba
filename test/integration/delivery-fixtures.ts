import { env } from "cloudflare:workers";
import type { AttemptRow } from "../../src/db/attempts";
import type { MessageRow } from "../../src/db/messages";
import { api, json } from "../helpers";

// Shared set-up of the delivery tests (ingest, consumer, sweeper, messages, attempts).
export const RECEIVER = "https://receiver.example.com/hook";
export const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
let counter = 0;

export async function createEventType(body: Record<string, unknown> = {}): Promise<string> {
  const name = `delivery.test.${Date.now().toString(36)}${counter++}`;
  const res = await api("POST", "/api/v1/event-type", { name, description: "delivery tests", ...body });
  if (res.status !== 201) throw new Error(`createEventType: ${res.status} ${await res.text()}`);
  return name;
}

export async function createEndpoint(appId: string, body: Record<string, unknown> = {}) {
  const res = await api("POST", `/api/v1/app/${appId}/endpoint`, { url: RECEIVER, secret: SECRET, ...body });
  if (res.status !== 201) throw new Error(`createEndpoint: ${res.status} ${await res.text()}`);
  return json<{ id: string; url: string }>(res);
}

export interface MessageOut {
  id: string;
  eventType: string;
  eventId?: string | null;
  payload: Record<string, unknown>;
  channels?: string[] | null;
  timestamp: string;
}

export async function postMessage(
  appId: string,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<Response> {
  return api(
    "POST",
    `/api/v1/app/${appId}/msg`,
    { eventType: "user.signup", payload: { a: 1 }, ...body },
    { headers },
  );
}

export async function createMessage(appId: string, body: Record<string, unknown> = {}): Promise<MessageOut> {
  const res = await postMessage(appId, body);
  if (res.status !== 202) throw new Error(`createMessage: ${res.status} ${await res.text()}`);
  return json<MessageOut>(res);
}

export const messageRow = (appId: string, id: string) =>
  env.DB.prepare("SELECT * FROM messages WHERE app_id = ?1 AND id = ?2").bind(appId, id).first<MessageRow>();

export async function attemptRows(appId: string, msgId: string): Promise<AttemptRow[]> {
  const { results } = await env.DB.prepare(
    "SELECT * FROM attempts WHERE app_id = ?1 AND msg_id = ?2 ORDER BY id",
  )
    .bind(appId, msgId)
    .all<AttemptRow>();
  return results;
}

export async function countMessages(appId: string): Promise<number> {
  const row = await env.DB.prepare("SELECT COUNT(*) AS n FROM messages WHERE app_id = ?1")
    .bind(appId)
    .first<{ n: number }>();
  return row?.n ?? 0;
}
