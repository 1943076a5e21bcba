// Counting wrapper for a D1 binding: round trips, statements, rows read and written (from each
// result's meta, the figures D1 bills on).
import { counters, currentBatch, type Label } from "./counters";

const REAL = Symbol("real D1 statement");

interface Wrapped {
  [REAL]: D1PreparedStatement;
}

function unwrap(stmt: D1PreparedStatement): D1PreparedStatement {
  return (stmt as unknown as Partial<Wrapped>)[REAL] ?? stmt;
}

function record(
  label: Label,
  startedAt: number,
  statements: number,
  metas: (D1Meta | undefined)[],
  batch: boolean,
): void {
  const c = counters.d1[label];
  c.roundTrips += 1;
  c.waitMs += Date.now() - startedAt;
  c.statements += statements;
  if (batch) c.batches += 1;
  for (const meta of metas) {
    if (!meta) {
      c.statementsWithoutMeta += 1;
      continue;
    }
    c.rowsRead += meta.rows_read ?? 0;
    c.rowsWritten += meta.rows_written ?? 0;
  }
  const stats = currentBatch.getStore();
  if (stats) {
    stats.d1RoundTrips += 1;
    if (batch) stats.d1Batches += 1;
  }
}

function wrapStatement(real: D1PreparedStatement, label: Label): D1PreparedStatement {
  const wrapped = {
    [REAL]: real,
    bind: (...values: unknown[]) => wrapStatement(real.bind(...values), label),
    // D1's own first() runs the whole statement and keeps row 0; going through all() gives
    // the same answer plus the meta that first() drops.
    first: async (column?: string) => {
      const t = Date.now();
      const result = await real.all<Record<string, unknown>>();
      record(label, t, 1, [result.meta], false);
      const row = result.results[0];
      if (column === undefined) return row ?? null;
      if (row && !(column in row)) {
        throw new Error("D1_COLUMN_NOTFOUND", { cause: `Column not found: ${column}` });
      }
      return row?.[column] ?? null;
    },
    all: async () => {
      const t = Date.now();
      const result = await real.all();
      record(label, t, 1, [result.meta], false);
      return result;
    },
    run: async () => {
      const t = Date.now();
      const result = await real.run();
      record(label, t, 1, [result.meta], false);
      return result;
    },
    raw: async (options?: { columnNames?: boolean }) => {
      const t = Date.now();
      const result = await (options?.columnNames
        ? real.raw({ columnNames: true })
        : real.raw({ columnNames: false }));
      record(label, t, 1, [undefined], false);
      return result;
    },
  };
  return wrapped as unknown as D1PreparedStatement;
}

type DatabaseLike = Pick<D1Database, "prepare" | "batch">;

function wrapDatabaseLike<T extends DatabaseLike>(real: T, label: Label): T {
  return new Proxy(real, {
    get(target, prop) {
      if (prop === "prepare") return (sql: string) => wrapStatement(target.prepare(sql), label);
      if (prop === "batch") {
        return async (statements: D1PreparedStatement[]) => {
          const t = Date.now();
          const results = await target.batch(statements.map(unwrap));
          record(
            label,
            t,
            statements.length,
            results.map((r) => r.meta),
            true,
          );
          return results;
        };
      }
      if (prop === "exec") {
        return async (sql: string) => {
          const t = Date.now();
          const result = await (target as unknown as D1Database).exec(sql);
          record(label, t, result.count, [undefined], false);
          return result;
        };
      }
      if (prop === "withSession") {
        return (constraint?: string) =>
          wrapDatabaseLike((target as unknown as D1Database).withSession(constraint), label);
      }
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

export function wrapD1(db: D1Database, label: Label): D1Database {
  return wrapDatabaseLike(db, label);
}
