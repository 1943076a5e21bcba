import { idAt, idTime } from "../lib/ids";
import { type Partitions, partitionOfId, tables } from "./partitions";
import type { AttemptRow } from "./records";

// Attempts that need no retry (the common case: a success, or a delivery's final failure) are
// written packed: one row per (record call, endpoint, 10-second bucket of message creation)
// holds them all, instead of a row and an index entry per attempt. Each SQLite row written is
// billed, so this is most of what a delivery costs. Attempts waiting for a retry stay single
// rows in att_<day> (their next_attempt_at index drives the outbox).
//
// A page is found by message through its bucket (a message's attempts are in pages of its own
// bucket, whenever they are made) and by endpoint through (endpoint_id, max_id): a page never
// spans more than PAGE_SPAN_MS of attempt ids, so an endpoint's attempts around a cursor are in
// the pages whose max_id is within that span of it.
export const BUCKET_MS = 10_000;
export const PAGE_SPAN_MS = 60_000;

/** One attempt inside a page: [msg_id, id, status, code, response, duration_ms, trigger, created_at]. */
type Item = [string, string, number, number, string, number, number, number];

type PageRow = {
  bucket: number;
  endpoint_id: string;
  id: string;
  url: string;
  items: string;
};

export const bucketOf = (msgId: string) => Math.floor(idTime(msgId) / BUCKET_MS);

function toRow(page: PageRow, item: Item): AttemptRow {
  const [msg_id, id, status, code, response, duration, trigger, created_at] = item;
  return {
    msg_id,
    endpoint_id: page.endpoint_id,
    id,
    url: page.url,
    status,
    response_status_code: code,
    response,
    response_duration_ms: duration,
    trigger_type: trigger,
    next_attempt_at: null,
    created_at,
  };
}

const toItem = (a: AttemptRow): Item => [
  a.msg_id,
  a.id,
  a.status,
  a.response_status_code,
  a.response,
  a.response_duration_ms,
  a.trigger_type,
  a.created_at,
];

export class AttemptPages {
  constructor(
    private readonly sql: SqlStorage,
    private readonly parts: Partitions,
  ) {}

  /** Writes one endpoint's attempts of a record call: a page per bucket and span. */
  write(attempts: AttemptRow[]): void {
    const groups = new Map<string, AttemptRow[]>();
    for (const a of [...attempts].sort((x, y) => (x.id < y.id ? -1 : 1))) {
      const key = `${partitionOfId(a.msg_id)}|${bucketOf(a.msg_id)}|${a.endpoint_id}|${a.url}`;
      const group = groups.get(key) ?? [];
      const first = group[0];
      if (first && idTime(a.id) - idTime(first.id) > PAGE_SPAN_MS) {
        this.insert(group);
        groups.set(key, [a]);
      } else {
        group.push(a);
        groups.set(key, group);
      }
    }
    for (const group of groups.values()) this.insert(group);
  }

  private insert(group: AttemptRow[]): void {
    const first = group[0];
    const last = group[group.length - 1];
    if (!first || !last) return;
    const p = partitionOfId(first.msg_id);
    this.parts.ensure(p);
    this.sql.exec(
      `INSERT OR REPLACE INTO ${tables(p).page} (bucket, endpoint_id, id, max_id, url, items) VALUES (?, ?, ?, ?, ?, ?)`,
      bucketOf(first.msg_id),
      first.endpoint_id,
      first.id,
      last.id,
      first.url,
      JSON.stringify(group.map(toItem)),
    );
  }

  /** The attempts kept in pages for messages of [fromMsg, toMsg] (inclusive), optionally one endpoint's. */
  forMessages(fromMsg: string, toMsg: string, endpointId?: string): AttemptRow[] {
    const out: AttemptRow[] = [];
    const [lo, hi] = [bucketOf(fromMsg), bucketOf(toMsg)];
    const parts = this.parts.list().filter((p) => p >= partitionOfId(fromMsg) && p <= partitionOfId(toMsg));
    for (const p of parts) {
      const pages = this.sql
        .exec<PageRow>(
          `SELECT bucket, endpoint_id, id, url, items FROM ${tables(p).page}
           WHERE bucket >= ? AND bucket <= ? ${endpointId ? "AND endpoint_id = ?" : ""}`,
          lo,
          hi,
          ...(endpointId ? [endpointId] : []),
        )
        .toArray();
      for (const page of pages) {
        for (const item of JSON.parse(page.items) as Item[]) {
          if (item[0] >= fromMsg && item[0] <= toMsg) out.push(toRow(page, item));
        }
      }
    }
    return out;
  }

  /**
   * An endpoint's paged attempts in (lower, upper) that `keep` accepts, at least `want` of them
   * in `direction` order when there are (more may come back; the caller sorts and cuts).
   * Pages are walked by (endpoint_id, max_id): a page holds attempts in [max_id - span,
   * max_id], so a DESC walk can stop once it holds `want` attempts newer than the next page's
   * max_id, and an ASC walk once it holds `want` older than the next page's max_id - span.
   */
  forEndpoint(
    endpointId: string,
    opts: {
      lower: string | null;
      upper: string | null;
      direction: "ASC" | "DESC";
      want: number;
      keep: (a: AttemptRow) => boolean;
    },
  ): AttemptRow[] {
    const out: AttemptRow[] = [];
    const inBounds = (id: string) => (!opts.lower || id >= opts.lower) && (!opts.upper || id < opts.upper);
    const desc = opts.direction === "DESC";
    const from = opts.lower ?? "";
    const to = opts.upper ? idAt("atmpt", idTime(opts.upper) + PAGE_SPAN_MS + 1) : "~";
    for (const p of this.parts.list()) {
      const found: AttemptRow[] = [];
      let after: [string, string] | null = null;
      for (;;) {
        const keyset: string = after ? `AND (max_id, id) ${desc ? "<" : ">"} (?, ?)` : "";
        const pages: (PageRow & { max_id: string })[] = this.sql
          .exec<PageRow & { max_id: string }>(
            `SELECT bucket, endpoint_id, id, max_id, url, items FROM ${tables(p).page}
             WHERE endpoint_id = ? AND max_id >= ? AND max_id < ? ${keyset}
             ORDER BY max_id ${opts.direction}, id ${opts.direction} LIMIT 50`,
            endpointId,
            from,
            to,
            ...(after ?? []),
          )
          .toArray();
        let done = pages.length < 50;
        for (const page of pages as (PageRow & { max_id: string })[]) {
          const enough = (): boolean => {
            if (found.length < opts.want) return false;
            const ids = found.map((a) => a.id).sort();
            const kth = desc ? ids[ids.length - opts.want] : ids[opts.want - 1];
            if (kth === undefined) return false;
            return desc ? kth > page.max_id : idTime(kth) < idTime(page.max_id) - PAGE_SPAN_MS;
          };
          if (enough()) {
            done = true;
            break;
          }
          for (const item of JSON.parse(page.items) as Item[]) {
            if (!inBounds(item[1])) continue;
            const a = toRow(page, item);
            if (opts.keep(a)) found.push(a);
          }
          after = [page.max_id, page.id];
        }
        if (done) break;
      }
      out.push(...found);
    }
    return out;
  }

  /** An endpoint's paged attempts made at or after the time `sinceId` names (stats, recover). */
  forEndpointSince(endpointId: string, sinceId: string): AttemptRow[] {
    const out: AttemptRow[] = [];
    const from = idAt("atmpt", idTime(sinceId));
    for (const p of this.parts.list()) {
      const pages = this.sql
        .exec<PageRow>(
          `SELECT bucket, endpoint_id, id, url, items FROM ${tables(p).page} WHERE endpoint_id = ? AND max_id >= ?`,
          endpointId,
          from,
        )
        .toArray();
      for (const page of pages)
        for (const item of JSON.parse(page.items) as Item[]) out.push(toRow(page, item));
    }
    return out;
  }

  /** Rewrites the page that holds an attempt without its response body. */
  expungeResponse(msgId: string, id: string): boolean {
    const p = partitionOfId(msgId);
    if (!this.parts.has(p)) return false;
    const t = tables(p).page;
    const pages = this.sql
      .exec<PageRow>(`SELECT bucket, endpoint_id, id, url, items FROM ${t} WHERE bucket = ?`, bucketOf(msgId))
      .toArray();
    for (const page of pages) {
      const items = JSON.parse(page.items) as Item[];
      const item = items.find((i) => i[0] === msgId && i[1] === id);
      if (!item) continue;
      item[4] = "";
      this.sql.exec(
        `UPDATE ${t} SET items = ? WHERE bucket = ? AND endpoint_id = ? AND id = ?`,
        JSON.stringify(items),
        page.bucket,
        page.endpoint_id,
        page.id,
      );
      return true;
    }
    return false;
  }

  /** Deletes up to `limit` pages of a deleted endpoint; the number deleted. */
  forgetEndpoint(endpointId: string, limit: number): number {
    return this.parts.deleteEndpointRows("page", "bucket, endpoint_id, id", endpointId, limit);
  }
}
