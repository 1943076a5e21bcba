-- The data plane moves to per-application log objects (SQLite Durable Objects, src/log/):
-- messages, idempotency keys and attempts leave D1, which keeps the configuration. No released
-- data exists, so the tables are dropped rather than copied.
DROP TABLE IF EXISTS attempts;
DROP TABLE IF EXISTS message_keys;
DROP TABLE IF EXISTS messages;

-- Svix's background tasks (endpoint.recover): the task runs in the application's log objects,
-- one part per shard; `pending` counts the parts still running.
CREATE TABLE background_tasks (
  id TEXT PRIMARY KEY,
  app_id TEXT NOT NULL,
  task TEXT NOT NULL,
  status TEXT NOT NULL,
  data TEXT NOT NULL DEFAULT '{}',
  pending INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
