// One wrapped env per (real env, label), made once and reused: the real env object lives as
// long as the isolate, and src/config.ts caches its parsed config per env object.
import { counters, currentBatch, currentLabel, type Label } from "./counters";
import { wrapD1 } from "./d1";
import { wrapNamespace } from "./durable-objects";
import { wrapQueue } from "./queue";

const cache = new WeakMap<object, Map<Label, Env>>();

export function wrapEnv(env: Env, label: Label): Env {
  let byLabel = cache.get(env);
  if (!byLabel) {
    byLabel = new Map();
    cache.set(env, byLabel);
  }
  let wrapped = byLabel.get(label);
  if (!wrapped) {
    const overrides: Partial<Env> = {
      DB: wrapD1(env.DB, label),
      DELIVERIES: wrapQueue(env.DELIVERIES, label),
      ENDPOINT_STATE: wrapNamespace(env.ENDPOINT_STATE, label, "ENDPOINT_STATE"),
      APP_LOG: wrapNamespace(env.APP_LOG, label, "APP_LOG"),
    };
    wrapped = new Proxy(env, {
      get: (target, prop) => (prop in overrides ? overrides[prop as keyof Env] : Reflect.get(target, prop)),
    });
    byLabel.set(label, wrapped);
  }
  return wrapped;
}

/** Counts every outbound fetch of the isolate (deliveries, operational webhooks). */
export function countOutboundFetch(): void {
  const realFetch = globalThis.fetch;
  globalThis.fetch = ((input: RequestInfo | URL, init?: RequestInit) => {
    counters.outboundFetch.calls += 1;
    counters.outboundFetch.by[currentLabel.getStore() ?? "fetch"] += 1;
    const stats = currentBatch.getStore();
    if (stats) stats.fetches += 1;
    return realFetch(input, init);
  }) as typeof fetch;
}
