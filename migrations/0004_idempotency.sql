-- idempotency-key on the configuration plane's POSTs (src/services/idempotency.ts). Message
-- create keeps its own keys in the application's log object.
--
-- One row per (tenant, scope, key): tenant is who called (the admin token is 'admin'; app-portal
-- tokens will name their own), scope is "METHOD /concrete/path". request_hash binds the key to
-- the request it was first used with. state 'running' holds the claim of the request in flight
-- (claim is its random token, lease_until when another request may take it over); state 'done'
-- holds the answer replayed to a repeat. Rows expire 24 hours after their claim and are deleted
-- in bounded batches by later claims (idempotency_keys_expiry).
CREATE TABLE idempotency_keys (
  tenant TEXT NOT NULL,
  scope TEXT NOT NULL,
  key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  state TEXT NOT NULL,
  claim TEXT NOT NULL,
  lease_until INTEGER NOT NULL,
  status INTEGER,
  content_type TEXT,
  body TEXT,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (tenant, scope, key)
) WITHOUT ROWID;
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);
