import { getConfig } from "../config";
import { shardOfMessageId } from "../lib/ids";
import type { AppLog } from "./app-log";
import type { Ident } from "./protocol";

// How the rest of the worker reaches an application's log objects. An application has
// LOG_SHARDS shards, named `${appId}:${shard}`; message ids name their shard, and messages
// with an eventId or idempotency key go to the shard the key hashes to, so a repeated key meets
// its original wherever it was sent from.

export interface LogRef {
  ident: Ident;
  stub: DurableObjectStub<AppLog>;
}

export function logRef(env: Env, appId: string, shard: number): LogRef {
  const ns = env.APP_LOG;
  return { ident: { appId, shard }, stub: ns.get(ns.idFromName(`${appId}:${shard}`)) };
}

export const shardCount = (env: Env) => getConfig(env).logShards;

/** Every shard of an application, for listings (merged in id order) and broadcasts. */
export function allShards(env: Env, appId: string): LogRef[] {
  return Array.from({ length: shardCount(env) }, (_, i) => logRef(env, appId, i));
}

/** FNV-1a: a stable, well-spread hash of a key, the same in every isolate. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The shard a new message goes to: its eventId's or idempotency key's, else any. */
export function shardForNew(env: Env, key: string | null): number {
  const n = shardCount(env);
  if (n === 1) return 0;
  return key ? hash(key) % n : Math.floor(Math.random() * n);
}

/** The shard that holds a message named by id or eventId. */
export function shardForMessage(env: Env, idOrEventId: string): number {
  return shardOfMessageId(idOrEventId) ?? shardForNew(env, idOrEventId);
}

/** Tells every shard that the application's configuration changed (before the API answers). */
export async function configChanged(env: Env, appId: string): Promise<void> {
  await Promise.all(allShards(env, appId).map((l) => l.stub.configChanged(l.ident)));
}
