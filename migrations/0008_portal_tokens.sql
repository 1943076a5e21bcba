-- App-portal access tokens (issue 12, src/services/portal-tokens.ts). A token is "appsk_" +
-- base64url of 32 random bytes, handed out once; only its SHA-256 (hex) is kept, so a reader of
-- this table can neither replay a token nor mint one. Each row scopes its token to one
-- application: capabilities (JSON array of Svix AppPortalCapability), feature_flags (JSON array,
-- which event types it sees), session_id (what expire-all may select by). Times are unix ms; a
-- row past expires_at no longer authenticates and the 5-minute cron deletes it in batches
-- (portal_tokens_expiry); expire-all and logout shorten or delete rows; deleting an application
-- deletes its rows (portal_tokens_app).
CREATE TABLE portal_tokens (
  hash TEXT PRIMARY KEY,
  app_id TEXT NOT NULL,
  capabilities TEXT NOT NULL,
  feature_flags TEXT NOT NULL DEFAULT '[]',
  session_id TEXT,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX portal_tokens_app ON portal_tokens (app_id);
CREATE INDEX portal_tokens_expiry ON portal_tokens (expires_at);
