// Cloudflare list prices (Workers Paid plan, usage above the monthly inclusions), in USD per
// million units. Read on 2026-11-27 from Cloudflare's public pricing pages for Workers,
// Queues, D1 and Durable Objects (developers.cloudflare.com: workers/platform/pricing,
// queues/platform/pricing, d1/platform/pricing, durable-objects/platform/pricing), matching
// the figures issue 5 states. Monthly inclusions and the $5 base fee are left out: the cost
// per million deliveries is the marginal cost.
export const PRICES_READ_ON = "2026-11-27";

export const PRICES = {
  /** Every Worker invocation: ingest requests, queue consumer batches, cron runs. */
  workersRequest: 0.3,
  /** Per 64 KB written, read or deleted; a delivered message is write + read + delete = 3. */
  queueOperation: 0.4,
  d1RowWritten: 1.0,
  d1RowRead: 0.001,
  /** Each RPC method call or fetch on a stub, and each alarm. */
  durableObjectRequest: 0.15,
  /** SQLite-backed Durable Object storage is billed like D1 rows. */
  durableObjectRowWritten: 1.0,
  durableObjectRowRead: 0.001,
};

/**
 * Not counted, and why: Workers CPU time ($0.02 per million CPU ms) and Durable Object
 * duration ($12.50 per million GB-s) cannot be measured faithfully under `wrangler dev`;
 * storage (GB-month) depends on retention, not on a delivery; subrequests are not billed.
 */
export const NOT_COUNTED = [
  "Workers CPU time ($0.02/M CPU-ms)",
  "Durable Object duration ($12.50/M GB-s)",
  "storage GB-month (D1 $0.75/GB-month, DO $0.20/GB-month)",
];

/**
 * Storage, USD per GB-month (GB = 10^9 bytes), for the informative "stored for the retention
 * period" figure only: it depends on retention, not on a delivery, so it is not part of
 * usd_per_million.
 */
export const STORAGE_USD_PER_GB_MONTH = { durableObjectSqlite: 0.2, d1: 0.75 };
