import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { shardOfMessageId } from "../../src/lib/ids";
import type { AppLog } from "../../src/log/app-log";
import type { AttemptRow, MessageRow } from "../../src/log/records";
import { api, json } from "../helpers";

// Shared set-up of the delivery tests (ingest, consumer, outbox, messages, attempts).
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

/** The log object of an application's shard (shard 0 unless the message id names another). */
export const logStub = (appId: string, shard = 0): DurableObjectStub<AppLog> =>
  env.APP_LOG.get(env.APP_LOG.idFromName(`${appId}:${shard}`));

/** Runs `fn` inside the log object that holds the message (or shard 0). */
export function inLog<T>(appId: string, fn: (log: AppLog) => T, msgId?: string): Promise<T> {
  const shard = msgId ? (shardOfMessageId(msgId) ?? 0) : 0;
  return runInDurableObject(logStub(appId, shard), (instance: AppLog) => fn(instance));
}

export const messageRow = (appId: string, id: string): Promise<MessageRow | null> =>
  inLog(
    appId,
    (log) => {
      const m = log.messages.get(id, Date.now());
      return m ? { ...m, app_id: appId } : null;
    },
    id,
  );

export const attemptRows = (appId: string, msgId: string): Promise<AttemptRow[]> =>
  inLog(appId, (log) => log.attempts.listByMessage(msgId, {}, "ASC", 10_000), msgId);

export const countMessages = (appId: string): Promise<number> =>
  inLog(
    appId,
    (log) =>
      log.messages.list(
        { fromId: null, toId: null, cursor: null, eventTypes: null, channel: null, tag: null },
        "ASC",
        100_000,
        Date.now(),
      ).length,
  );

/** The latest attempt of one delivery (what a retry or resend job names as `p`), or null. */
export const latestAttempt = (appId: string, msgId: string, endpointId: string): Promise<AttemptRow | null> =>
  inLog(appId, (log) => log.attempts.latest(msgId, endpointId), msgId);

/** Every attempt made to one endpoint (all of the application's messages), oldest first. */
export const endpointAttempts = (appId: string, endpointId: string, shard = 0): Promise<AttemptRow[]> =>
  runInDurableObject(logStub(appId, shard), (log: AppLog) =>
    log.attempts.listByEndpoint(endpointId, {}, "ASC", 10_000),
  );
