import { idTime } from "../lib/ids";
import { type Partitions, partitionOfId, tables } from "./partitions";
import type { StoredMessage } from "./records";

// Messages are written packed, as attempts are (attempt-pages.ts): the ingests of one commit
// window (AppLog.ingest) share one row per (day, 1-second bucket of message time) in
// mpage_<day>, instead of a row each. Every SQLite row written is billed, so this takes the
// message's share of a delivery from one row to a fraction of one.
//
// A page is keyed (bucket, first id) and knows its last id (max_id). Within a bucket the pages
// of different commits can interleave (ids are made by the worker that took the request, so
// a slow request's id can be older than a faster one's of the same window), but every id of a
// bucket sorts before every id of the next bucket (ids start with their time). So a lookup reads
// the pages of its bucket whose [id, max_id] holds it, and a walk in id order takes whole
// buckets: once the buckets read hold enough messages, no later bucket can hold one before them.
//
// Scheduled messages and payloads purged before their day is dropped stay single rows of
// msg_<day> (message-store.ts): their partial indexes drive the outbox and the purge.
export const MESSAGE_BUCKET_MS = 1_000;
/** A page is split before its items pass this many characters (SQLite's row limit is 2 MB). */
export const PAGE_MAX_CHARS = 1_000_000;
/** Pages read per statement while walking. */
const WALK_CHUNK = 64;

/** One message inside a page (deliver_at is always null there). */
type Item = [
  id: string,
  event_type: string,
  event_id: string | null,
  channels: string | null,
  tags: string | null,
  payload: string | null,
  destinations: string,
  created_at: number,
  expires_at: number,
];

type PageRow = { bucket: number; id: string; max_id: string; items: string };

export const messageBucketOf = (id: string) => Math.floor(idTime(id) / MESSAGE_BUCKET_MS);

const toItem = (m: StoredMessage): Item => [
  m.id,
  m.event_type,
  m.event_id,
  m.channels,
  m.tags,
  m.payload,
  m.destinations,
  m.created_at,
  m.expires_at,
];

function toMessage(item: Item): StoredMessage {
  const [id, event_type, event_id, channels, tags, payload, destinations, created_at, expires_at] = item;
  return {
    id,
    event_type,
    event_id,
    channels,
    tags,
    payload,
    destinations,
    created_at,
    expires_at,
    deliver_at: null,
  };
}

const ascending = (a: StoredMessage, b: StoredMessage) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export interface WalkBounds {
  /** Lower id bound, inclusive or not; null for none. */
  lower: { id: string; inclusive: boolean } | null;
  /** Upper id bound (exclusive); null for none. */
  upper: string | null;
}

export class MessagePages {
  constructor(
    private readonly sql: SqlStorage,
    private readonly parts: Partitions,
  ) {}

  /** Writes messages as pages: one per day and bucket (split further only when very large). */
  write(messages: StoredMessage[]): void {
    const groups = new Map<string, StoredMessage[][]>();
    const sizes = new Map<string, number>();
    for (const m of [...messages].sort(ascending)) {
      const key = `${partitionOfId(m.id)}|${messageBucketOf(m.id)}`;
      const pages = groups.get(key) ?? [[]];
      const size = (m.payload?.length ?? 0) + m.destinations.length + 200;
      const used = sizes.get(key) ?? 0;
      if (used > 0 && used + size > PAGE_MAX_CHARS) {
        pages.push([]);
        sizes.set(key, 0);
      }
      pages.at(-1)?.push(m);
      sizes.set(key, (sizes.get(key) ?? 0) + size);
      groups.set(key, pages);
    }
    for (const pages of groups.values()) for (const page of pages) this.insert(page);
  }

  private insert(page: StoredMessage[]): void {
    const first = page[0];
    const last = page[page.length - 1];
    if (!first || !last) return;
    const p = partitionOfId(first.id);
    this.parts.ensure(p);
    this.sql.exec(
      `INSERT INTO ${tables(p).mpage} (bucket, id, max_id, items) VALUES (?, ?, ?, ?)`,
      messageBucketOf(first.id),
      first.id,
      last.id,
      JSON.stringify(page.map(toItem)),
    );
  }

  /** The pages of the message's bucket whose id range holds it (in practice one, rarely a few). */
  private candidates(id: string): { p: number; page: PageRow }[] {
    const p = partitionOfId(id);
    if (!Number.isFinite(p) || !this.parts.has(p)) return [];
    return this.sql
      .exec<PageRow>(
        `SELECT bucket, id, max_id, items FROM ${tables(p).mpage}
         WHERE bucket = ? AND id <= ? AND max_id >= ? ORDER BY id DESC`,
        messageBucketOf(id),
        id,
        id,
      )
      .toArray()
      .map((page) => ({ p, page }));
  }

  get(id: string): StoredMessage | null {
    for (const { page } of this.candidates(id)) {
      const item = (JSON.parse(page.items) as Item[]).find((i) => i[0] === id);
      if (item) return toMessage(item);
    }
    return null;
  }

  /**
   * Several messages at once, each page parsed once: a consumer's claim names up to hundreds of
   * messages that mostly share a few pages, and parsing a page per message would repeat the work.
   */
  getMany(ids: readonly string[]): Map<string, StoredMessage> {
    const wanted = new Set(ids);
    const out = new Map<string, StoredMessage>();
    const seen = new Set<string>();
    for (const id of wanted) {
      if (out.has(id)) continue;
      for (const { p, page } of this.candidates(id)) {
        const key = `${p}|${page.bucket}|${page.id}`;
        if (seen.has(key)) continue;
        seen.add(key);
        for (const item of JSON.parse(page.items) as Item[]) {
          if (wanted.has(item[0])) out.set(item[0], toMessage(item));
        }
        if (out.has(id)) break;
      }
    }
    return out;
  }

  /** Rewrites the page that holds the message without its payload. */
  expunge(id: string): boolean {
    for (const { p, page } of this.candidates(id)) {
      const items = JSON.parse(page.items) as Item[];
      const item = items.find((i) => i[0] === id);
      if (!item) continue;
      if (item[5] === null) return true;
      item[5] = null;
      this.sql.exec(
        `UPDATE ${tables(p).mpage} SET items = ? WHERE bucket = ? AND id = ?`,
        JSON.stringify(items),
        page.bucket,
        page.id,
      );
      return true;
    }
    return false;
  }

  /**
   * Paged messages within the bounds that `keep` accepts, in `direction` order: at least `want`
   * of them when there are (more may come back; the caller merges and cuts). Whole buckets are
   * read: the pages of one bucket may interleave, the buckets never do.
   */
  walk(
    bounds: WalkBounds,
    direction: "ASC" | "DESC",
    want: number,
    keep: (m: StoredMessage) => boolean,
  ): StoredMessage[] {
    const { lower, upper } = bounds;
    const desc = direction === "DESC";
    const inBounds = (id: string) =>
      (!lower || (lower.inclusive ? id >= lower.id : id > lower.id)) && (!upper || id < upper);
    const loBucket = lower ? messageBucketOf(lower.id) : -1;
    const hiBucket = upper ? messageBucketOf(upper) : Number.MAX_SAFE_INTEGER;
    const lo = lower ? partitionOfId(lower.id) : Number.NEGATIVE_INFINITY;
    const hi = upper ? partitionOfId(upper) : Number.POSITIVE_INFINITY;
    const partitions = this.parts.list().filter((p) => p >= lo && p <= hi);
    if (desc) partitions.reverse();
    const found: StoredMessage[] = [];
    let bucket: StoredMessage[] = [];
    let current: number | null = null;
    const flush = () => {
      bucket.sort(ascending);
      if (desc) bucket.reverse();
      found.push(...bucket);
      bucket = [];
    };
    for (const p of partitions) {
      let after: [number, string] | null = null;
      for (;;) {
        const keyset = after ? `AND (bucket, id) ${desc ? "<" : ">"} (?, ?)` : "";
        const pages: PageRow[] = this.sql
          .exec<PageRow>(
            `SELECT bucket, id, max_id, items FROM ${tables(p).mpage}
             WHERE bucket >= ? AND bucket <= ? ${lower ? "AND max_id >= ?" : ""} ${upper ? "AND id < ?" : ""} ${keyset}
             ORDER BY bucket ${direction}, id ${direction} LIMIT ?`,
            loBucket,
            hiBucket,
            ...(lower ? [lower.id] : []),
            ...(upper ? [upper] : []),
            ...(after ?? []),
            WALK_CHUNK,
          )
          .toArray();
        for (const page of pages) {
          if (page.bucket !== current) {
            flush();
            // Every bucket read so far sorts before this one: enough, once they hold `want`.
            if (found.length >= want) return found;
            current = page.bucket;
          }
          for (const item of JSON.parse(page.items) as Item[]) {
            if (!inBounds(item[0])) continue;
            const m = toMessage(item);
            if (keep(m)) bucket.push(m);
          }
          after = [page.bucket, page.id];
        }
        if (pages.length < WALK_CHUNK) break;
      }
    }
    flush();
    return found;
  }
}
