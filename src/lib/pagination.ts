import { z } from "@hono/zod-openapi";

// Svix pagination: `limit`, `iterator`, `order`; answers `data`, `iterator`, `prevIterator`,
// `done`. The iterator is the sort key (an id, or an event type's name) of the last item
// returned; a prevIterator is the first item's key prefixed with "-" and pages backwards.
export const MAX_LIMIT = 250;
export const DEFAULT_LIMIT = 50;
/** An iterator is an id or an event type name (at most 256 characters), "-" first for a previous page. */
export const ITERATOR_MAX = 1 + 256;

export const orderingSchema = z.enum(["ascending", "descending"]).openapi("Ordering");

export const paginationQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_LIMIT)
    .optional()
    .openapi({ description: "Limit the number of returned items (1-250, default 50)" }),
  iterator: z
    .string()
    .max(ITERATOR_MAX)
    .optional()
    .openapi({ description: "The iterator returned from a prior invocation" }),
  order: orderingSchema.optional().openapi({ description: "The sorting order of the returned items" }),
});

export type PaginationQuery = z.infer<typeof paginationQuery>;

export interface PageRequest {
  limit: number;
  /** The key to continue after (exclusive), or null for the first page. */
  cursor: string | null;
  /** Direction the SQL walks in. */
  direction: "ASC" | "DESC";
  /** True when following a prevIterator: rows are fetched in reverse and flipped back. */
  backwards: boolean;
  order: "ascending" | "descending";
}

export function pageRequest(query: PaginationQuery, defaultOrder: "ascending" | "descending"): PageRequest {
  const order = query.order ?? defaultOrder;
  const raw = query.iterator ?? null;
  const backwards = raw?.startsWith("-") ?? false;
  const cursor = raw ? (backwards ? raw.slice(1) : raw) : null;
  const ascending = order === "ascending";
  return {
    limit: query.limit ?? DEFAULT_LIMIT,
    cursor: cursor || null,
    direction: ascending !== backwards ? "ASC" : "DESC",
    backwards,
    order,
  };
}

export interface ListResponse<T> {
  data: T[];
  iterator: string | null;
  prevIterator: string | null;
  done: boolean;
}

/** `rows` were fetched with LIMIT page.limit + 1 in page.direction. */
export function listResponse<R, T>(
  rows: R[],
  page: PageRequest,
  keyOf: (row: R) => string,
  toOut: (row: R) => T,
): ListResponse<T> {
  const more = rows.length > page.limit;
  const pageRows = rows.slice(0, page.limit);
  if (page.backwards) pageRows.reverse();
  const first = pageRows[0];
  const last = pageRows[pageRows.length - 1];
  return {
    data: pageRows.map(toOut),
    iterator: last ? keyOf(last) : null,
    prevIterator: first ? `-${keyOf(first)}` : null,
    done: !more,
  };
}

export const listResponseSchema = <T extends z.ZodType>(item: T, name: string) =>
  z
    .object({
      data: z.array(item),
      iterator: z.string().nullable(),
      prevIterator: z.string().nullable().optional(),
      done: z.boolean(),
    })
    .openapi(name);
