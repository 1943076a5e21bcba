-- Edgehook schema. Times are unix milliseconds. Ids are prefixed, time-ordered strings
-- (src/lib/ids.ts), so ordering by id is ordering by creation and cursors stay stable.
--
-- Every D1 row written is billed, and each secondary-index entry a write touches counts
-- as another row. The hot tables (messages, attempts) are therefore WITHOUT ROWID tables
-- whose primary key is the index the API reads through, with no secondary indexes: a
-- delivery at fan-out 1 writes one message row and one attempt row.

CREATE TABLE applications (
  id TEXT PRIMARY KEY,
  uid TEXT,
  name TEXT NOT NULL,
  throttle_rate INTEGER,
  metadata TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE UNIQUE INDEX applications_uid ON applications (uid) WHERE uid IS NOT NULL;

CREATE TABLE event_types (
  name TEXT PRIMARY KEY,
  description TEXT NOT NULL,
  archived INTEGER NOT NULL DEFAULT 0,
  deprecated INTEGER NOT NULL DEFAULT 0,
  feature_flag TEXT,
  schemas TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;

-- secrets and headers are AES-GCM ciphertexts (src/security/secrets.ts).
-- failing_since mirrors the endpoint's Durable Object health so that the consumer knows,
-- from the configuration it already reads, whether a success must be reported.
CREATE TABLE endpoints (
  app_id TEXT NOT NULL,
  id TEXT NOT NULL,
  uid TEXT,
  url TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  event_types TEXT,
  channels TEXT,
  throttle_rate INTEGER,
  disabled INTEGER NOT NULL DEFAULT 0,
  disabled_reason TEXT,
  metadata TEXT NOT NULL DEFAULT '{}',
  secrets TEXT NOT NULL,
  headers TEXT,
  failing_since INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (app_id, id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX endpoints_uid ON endpoints (app_id, uid) WHERE uid IS NOT NULL;

-- destinations: JSON array of the endpoint ids the message fanned out to at ingest. It is
-- the committed record of the message's deliveries: a delivery without an attempt row is
-- pending, and the sweeper re-enqueues those that are overdue.
CREATE TABLE messages (
  app_id TEXT NOT NULL,
  id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  event_id TEXT,
  channels TEXT,
  tags TEXT,
  payload TEXT,
  destinations TEXT NOT NULL DEFAULT '[]',
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (app_id, id)
) WITHOUT ROWID;

-- Idempotency keys and eventIds, only written when the sender supplies one.
-- kind: 'k' = idempotency-key header, 'e' = eventId.
CREATE TABLE message_keys (
  app_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  key TEXT NOT NULL,
  msg_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (app_id, kind, key)
) WITHOUT ROWID;

-- One row per attempt; it is also the delivery's state (the latest attempt of a
-- message x endpoint pair decides: success, pending with next_attempt_at, or fail).
-- status: 0 success, 1 pending, 2 fail, 3 sending (Svix MessageStatus).
-- trigger_type: 0 scheduled, 1 manual.
CREATE TABLE attempts (
  app_id TEXT NOT NULL,
  msg_id TEXT NOT NULL,
  endpoint_id TEXT NOT NULL,
  id TEXT NOT NULL,
  url TEXT NOT NULL,
  status INTEGER NOT NULL,
  response_status_code INTEGER NOT NULL,
  response TEXT NOT NULL DEFAULT '',
  response_duration_ms INTEGER NOT NULL DEFAULT 0,
  trigger_type INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (app_id, msg_id, endpoint_id, id)
) WITHOUT ROWID;
