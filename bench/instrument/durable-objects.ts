// Counting wrappers for Durable Objects: calls made on stubs (each RPC method call or fetch
// is one billed request), calls the objects receive, and their storage operations, per class.

import { DurableObject } from "cloudflare:workers";
import { AsyncLocalStorage } from "node:async_hooks";
import {
  bump,
  classCounts,
  counters,
  countStorage,
  currentBatch,
  currentLabel,
  type Label,
  trackCursor,
} from "./counters";

function stubKey(stub: object): string {
  try {
    return String((stub as { id?: unknown }).id ?? "?");
  } catch {
    return "?";
  }
}

function wrapStub<T extends object>(stub: T, label: Label, binding: string): T {
  const key = `${binding}|${stubKey(stub)}`;
  return new Proxy(stub, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      // Symbols (dispose) and `then` (so the stub is not taken for a promise) are not calls.
      if (typeof prop === "symbol" || prop === "then" || typeof value !== "function") return value;
      return (...args: unknown[]) => {
        const d = counters.durableObjects;
        d.stubCalls += 1;
        d.stubCallsBy[label] += 1;
        bump(d.stubCallsByBinding, binding);
        bump(d.stubCallsByMethod, `${binding}.${prop}`);
        const stats = currentBatch.getStore();
        if (stats) stats.doCallsByObject.set(key, (stats.doCallsByObject.get(key) ?? 0) + 1);
        return Reflect.apply(value, target, args);
      };
    },
  });
}

/** `binding` names the env binding in the counters (ENDPOINT_STATE, APP_LOG). */
export function wrapNamespace<T extends DurableObjectNamespace>(ns: T, label: Label, binding: string): T {
  return new Proxy(ns, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (typeof value !== "function") return value;
      if (prop === "get" || prop === "getByName") {
        return (...args: unknown[]) => wrapStub(Reflect.apply(value, target, args) as object, label, binding);
      }
      if (prop === "jurisdiction") {
        return (...args: unknown[]) =>
          wrapNamespace(Reflect.apply(value, target, args) as DurableObjectNamespace, label, binding);
      }
      return value.bind(target);
    },
  });
}

// Storage methods that write or read one row per key (KV API on a SQLite-backed object).
const KV_WRITES = new Set(["put", "delete"]);
const KV_READS = new Set(["get"]);
const ALARM_WRITES = new Set(["setAlarm", "deleteAlarm"]);

function keyCount(arg: unknown): number {
  if (Array.isArray(arg)) return arg.length;
  if (arg !== null && typeof arg === "object") return Object.keys(arg).length;
  return 1;
}

/** The real (uncounted) SQL API of each instrumented storage, for the benchmark's own reads. */
const realSql = new WeakMap<object, SqlStorage>();

export function uncountedSql(storage: DurableObjectStorage): SqlStorage {
  return realSql.get(storage) ?? storage.sql;
}

function wrapSql(sql: SqlStorage, cls: string): SqlStorage {
  return new Proxy(sql, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (prop === "exec" && typeof value === "function") {
        return (...args: unknown[]) => {
          // Miniflare's own bookkeeping (it records each object's name on construction): a
          // local-only write, not the system's.
          if (String(args[0]).includes("__miniflare_do_name")) {
            counters.durableObjects.localOnlyStatements += 1;
            return Reflect.apply(value, target, args);
          }
          countStorage(cls, "sqlStatements");
          const cursor = Reflect.apply(value, target, args) as SqlStorageCursor<
            Record<string, SqlStorageValue>
          >;
          trackCursor(cursor, cls, args[0]);
          return cursor;
        };
      }
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** Counts each entry a sync kv.list() yields as one row read, as the caller reads them. */
function* countEntries<T>(entries: Iterable<T>, cls: string): Generator<T> {
  for (const entry of entries) {
    countStorage(cls, "kvRowsRead");
    yield entry;
  }
}

function countingMethod(
  target: object,
  name: string,
  method: (...args: unknown[]) => unknown,
  prefix: string,
  cls: string,
) {
  return (...args: unknown[]) => {
    bump(counters.durableObjects.storageCalls, `${cls}.${prefix}${name}`);
    if (KV_WRITES.has(name)) countStorage(cls, "kvRowsWritten", keyCount(args[0]));
    if (KV_READS.has(name)) countStorage(cls, "kvRowsRead", keyCount(args[0]));
    if (ALARM_WRITES.has(name)) countStorage(cls, "alarmWrites");
    const result = Reflect.apply(method, target, args);
    if (name !== "list") return result;
    if (result instanceof Promise) {
      // Asynchronous API: a Map of every entry.
      return result.then((map: Map<string, unknown>) => {
        countStorage(cls, "kvRowsRead", map.size);
        return map;
      });
    }
    return countEntries(result as Iterable<unknown>, cls);
  };
}

/** The synchronous KV API (storage.kv) of a SQLite-backed object. */
function wrapKv<T extends object>(kv: T, prefix: string, cls: string): T {
  return new Proxy(kv, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (typeof prop === "symbol" || typeof value !== "function") return value;
      return countingMethod(target, prop, value as (...args: unknown[]) => unknown, prefix, cls);
    },
  });
}

/**
 * Counts the object's storage calls by shadowing them with own properties on the real
 * storage object: workerd refuses a Proxy in place of the DurableObjectState itself.
 */
export function instrumentState(state: DurableObjectState, cls: string): DurableObjectState {
  const storage = state.storage;
  classCounts(cls).instances += 1;
  counters.durableObjects.instances += 1;
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
        shadow(name, countingMethod(storage, name, descriptor.value, "", cls));
      }
    }
  }
  // sql and kv are the storage object's own (lazily created) properties, not prototype ones.
  try {
    const sql = storage.sql;
    realSql.set(storage, sql);
    shadow("kv", wrapKv(storage.kv, "kv.", cls));
    shadow("sql", wrapSql(sql, cls));
  } catch {
    // not a SQLite-backed object: only the asynchronous API exists
  }
  return state;
}

function objectId(object: object): string {
  try {
    return String((object as { ctx?: DurableObjectState }).ctx?.id ?? "?");
  } catch {
    return "?";
  }
}

/** The object whose received call is running: calls an object makes on itself are not requests. */
const insideObject = new AsyncLocalStorage<object>();

/**
 * Replaces each method the real class defines (RPC methods, fetch, alarm) on `sub`'s
 * prototype with one that counts the call, then runs the real method. Only calls from outside
 * the object count: AppLog's alarm calls this.tick(), its RPC methods call private helpers,
 * and those run inside the received call. `skip`: benchmark-only methods, not counted.
 */
export function countReceivedCalls(
  sub: { prototype: object },
  real: { prototype: object },
  cls: string,
  skip: ReadonlySet<string> = new Set(),
): void {
  const names = new Set<string>();
  const stop = new Set<unknown>([Object.prototype, DurableObject.prototype]);
  for (let proto = real.prototype; proto && !stop.has(proto); proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      const descriptor = Object.getOwnPropertyDescriptor(proto, name);
      if (name !== "constructor" && typeof descriptor?.value === "function" && !skip.has(name)) {
        names.add(name);
      }
    }
  }
  for (const name of names) {
    const method = Reflect.get(real.prototype, name) as (...args: unknown[]) => unknown;
    Object.defineProperty(sub.prototype, name, {
      configurable: true,
      writable: true,
      value: function (this: object, ...args: unknown[]) {
        if (insideObject.getStore() === this) return Reflect.apply(method, this, args);
        const c = classCounts(cls);
        if (name === "alarm") {
          counters.durableObjects.alarms += 1;
          c.alarms += 1;
          const at = Date.now();
          const seen = counters.durableObjects.alarmsByObject;
          const id = objectId(this);
          seen[id] ??= { count: 0, first: at, last: at };
          seen[id].count += 1;
          seen[id].last = at;
        } else {
          counters.durableObjects.received += 1;
          c.received += 1;
        }
        return insideObject.run(this, () => currentLabel.run("do", () => Reflect.apply(method, this, args)));
      },
    });
  }
}
