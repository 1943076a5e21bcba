// Counting wrappers for Durable Objects: calls made on stubs (each RPC method call or fetch
// is one billed request), calls the objects receive, and their storage operations.
import { DurableObject } from "cloudflare:workers";
import { bump, counters, currentBatch, currentLabel, type Label, trackCursor } from "./counters";

function stubKey(stub: object): string {
  try {
    return String((stub as { id?: unknown }).id ?? "?");
  } catch {
    return "?";
  }
}

function wrapStub<T extends object>(stub: T, label: Label): T {
  const key = stubKey(stub);
  return new Proxy(stub, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      // Symbols (dispose) and `then` (so the stub is not taken for a promise) are not calls.
      if (typeof prop === "symbol" || prop === "then" || typeof value !== "function") return value;
      return (...args: unknown[]) => {
        const d = counters.durableObjects;
        d.stubCalls += 1;
        d.stubCallsBy[label] += 1;
        bump(d.stubCallsByMethod, prop);
        const stats = currentBatch.getStore();
        if (stats) stats.doCallsByObject.set(key, (stats.doCallsByObject.get(key) ?? 0) + 1);
        return Reflect.apply(value, target, args);
      };
    },
  });
}

export function wrapNamespace<T extends DurableObjectNamespace>(ns: T, label: Label): T {
  return new Proxy(ns, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (typeof value !== "function") return value;
      if (prop === "get" || prop === "getByName") {
        return (...args: unknown[]) => wrapStub(Reflect.apply(value, target, args) as object, label);
      }
      if (prop === "jurisdiction") {
        return (...args: unknown[]) =>
          wrapNamespace(Reflect.apply(value, target, args) as DurableObjectNamespace, label);
      }
      return value.bind(target);
    },
  });
}

// Storage methods that write one row per key (KV API on a SQLite-backed object).
const KV_WRITES = new Set(["put", "delete"]);
const KV_READS = new Set(["get"]);

function keyCount(arg: unknown): number {
  if (Array.isArray(arg)) return arg.length;
  if (arg !== null && typeof arg === "object") return Object.keys(arg).length;
  return 1;
}

function wrapSql(sql: SqlStorage): SqlStorage {
  return new Proxy(sql, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (prop === "exec" && typeof value === "function") {
        return (...args: unknown[]) => {
          counters.durableObjects.sqlStatements += 1;
          const cursor = Reflect.apply(value, target, args) as SqlStorageCursor<
            Record<string, SqlStorageValue>
          >;
          trackCursor(cursor);
          return cursor;
        };
      }
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

function countingMethod(
  target: object,
  name: string,
  method: (...args: unknown[]) => unknown,
  prefix: string,
) {
  return (...args: unknown[]) => {
    const d = counters.durableObjects;
    bump(d.storageCalls, prefix + name);
    if (KV_WRITES.has(name)) d.kvRowsWritten += keyCount(args[0]);
    if (KV_READS.has(name)) d.kvRowsRead += keyCount(args[0]);
    return Reflect.apply(method, target, args);
  };
}

/** The synchronous KV API (storage.kv) of a SQLite-backed object. */
function wrapKv<T extends object>(kv: T, prefix: string): T {
  return new Proxy(kv, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (typeof prop === "symbol" || typeof value !== "function") return value;
      return countingMethod(target, prop, value as (...args: unknown[]) => unknown, prefix);
    },
  });
}

/**
 * Counts the object's storage calls by shadowing them with own properties on the real
 * storage object: workerd refuses a Proxy in place of the DurableObjectState itself.
 */
export function instrumentState(state: DurableObjectState): DurableObjectState {
  const storage = state.storage;
  const shadow = (name: string, value: unknown) =>
    Object.defineProperty(storage, name, { configurable: true, writable: true, value });
  for (
    let proto = Object.getPrototypeOf(storage);
    proto && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === "constructor" || Object.hasOwn(storage, name)) continue;
      const descriptor = Object.getOwnPropertyDescriptor(proto, name);
      if (typeof descriptor?.value === "function") {
        shadow(name, countingMethod(storage, name, descriptor.value, ""));
      }
    }
  }
  // sql and kv are the storage object's own (lazily created) properties, not prototype ones.
  try {
    shadow("kv", wrapKv(storage.kv, "kv."));
    shadow("sql", wrapSql(storage.sql));
  } catch {
    // not a SQLite-backed object: only the asynchronous API exists
  }
  return state;
}

/**
 * Replaces each method the real class defines (RPC methods, fetch, alarm) on `sub`'s
 * prototype with one that counts the call, then runs the real method.
 */
export function countReceivedCalls(sub: { prototype: object }, real: { prototype: object }): void {
  const names = new Set<string>();
  const stop = new Set<unknown>([Object.prototype, DurableObject.prototype]);
  for (let proto = real.prototype; proto && !stop.has(proto); proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      const descriptor = Object.getOwnPropertyDescriptor(proto, name);
      if (name !== "constructor" && typeof descriptor?.value === "function") names.add(name);
    }
  }
  for (const name of names) {
    const method = Reflect.get(real.prototype, name) as (...args: unknown[]) => unknown;
    Object.defineProperty(sub.prototype, name, {
      configurable: true,
      writable: true,
      value: function (this: object, ...args: unknown[]) {
        if (name === "alarm") counters.durableObjects.alarms += 1;
        else counters.durableObjects.received += 1;
        return currentLabel.run("do", () => Reflect.apply(method, this, args));
      },
    });
  }
}
