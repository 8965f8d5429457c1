-- Super Light schema v1 (sqlite). Timestamps are integer milliseconds since the Unix epoch;
-- JSON is stored as text; key material is base64 text of AES-256-GCM ciphertext.
-- Every statement is re-runnable (IF NOT EXISTS) so a MariaDB run interrupted half-way
-- (DDL auto-commits there) can simply be run again.

-- Key/value settings (also the secret key-check value).
CREATE TABLE IF NOT EXISTS settings (
  name VARCHAR(191) NOT NULL PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);

-- Dashboard users. password_hash is argon2id ($argon2id$) or an imported bcrypt hash ($2a$/$2b$), re-hashed at the next login.
CREATE TABLE IF NOT EXISTS users (
  id VARCHAR(36) NOT NULL PRIMARY KEY,
  email VARCHAR(191) NOT NULL,
  password_hash VARCHAR(255) NOT NULL,
  role VARCHAR(16) NOT NULL DEFAULT 'user' CHECK (role IN ('admin', 'user')),
  is_active SMALLINT NOT NULL DEFAULT 1,
  last_login_at BIGINT NULL,
  created_by VARCHAR(191) NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS ux_users_email ON users (email);

-- Dashboard login sessions; the cookie value is stored only as its SHA-256.
CREATE TABLE IF NOT EXISTS auth_sessions (
  id_hash CHAR(64) NOT NULL PRIMARY KEY,
  user_id VARCHAR(36) NOT NULL,
  created_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  ip VARCHAR(45) NULL,
  user_agent VARCHAR(255) NULL,
  FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS ix_auth_sessions_user ON auth_sessions (user_id);
CREATE INDEX IF NOT EXISTS ix_auth_sessions_expires ON auth_sessions (expires_at);

-- WhatsApp sessions (devices). webhook_secret is AES-256-GCM encrypted.
CREATE TABLE IF NOT EXISTS wa_sessions (
  id VARCHAR(64) NOT NULL PRIMARY KEY,
  name VARCHAR(191) NULL,
  owner_id VARCHAR(36) NULL,
  status VARCHAR(32) NOT NULL DEFAULT 'created',
  detail VARCHAR(512) NULL,
  reason VARCHAR(512) NULL,
  webhook_url TEXT NULL,
  webhook_secret TEXT NULL,
  settings TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  last_connected_at BIGINT NULL,
  FOREIGN KEY (owner_id) REFERENCES users(id) ON DELETE SET NULL
);
CREATE INDEX IF NOT EXISTS ix_wa_sessions_owner ON wa_sessions (owner_id);
CREATE INDEX IF NOT EXISTS ix_wa_sessions_status ON wa_sessions (status);

-- Session tokens and API keys, stored only as SHA-256 of the token.
CREATE TABLE IF NOT EXISTS api_tokens (
  id VARCHAR(36) NOT NULL PRIMARY KEY,
  token_hash CHAR(64) NOT NULL,
  kind VARCHAR(16) NOT NULL CHECK (kind IN ('session', 'api_key')),
  session_id VARCHAR(64) NULL,
  user_id VARCHAR(36) NULL,
  label VARCHAR(191) NULL,
  prefix VARCHAR(16) NULL,
  created_at BIGINT NOT NULL,
  last_used_at BIGINT NULL,
  expires_at BIGINT NULL,
  revoked_at BIGINT NULL,
  FOREIGN KEY (session_id) REFERENCES wa_sessions(id) ON DELETE CASCADE,
  FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX IF NOT EXISTS ux_api_tokens_hash ON api_tokens (token_hash);
CREATE INDEX IF NOT EXISTS ix_api_tokens_session ON api_tokens (session_id);
CREATE INDEX IF NOT EXISTS ix_api_tokens_user ON api_tokens (user_id);

-- wa/store DeviceCredentials per session, encrypted JSON.
CREATE TABLE IF NOT EXISTS device_credentials (
  session_id VARCHAR(64) NOT NULL PRIMARY KEY,
  data TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  FOREIGN KEY (session_id) REFERENCES wa_sessions(id) ON DELETE CASCADE
);

-- Remote identity keys (encrypted).
CREATE TABLE IF NOT EXISTS signal_identities (
  session_id VARCHAR(64) NOT NULL,
  address VARCHAR(191) NOT NULL,
  record TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (session_id, address),
  FOREIGN KEY (session_id) REFERENCES wa_sessions(id) ON DELETE CASCADE
);

-- Signal session records (encrypted) by address name and device.
CREATE TABLE IF NOT EXISTS signal_sessions (
  session_id VARCHAR(64) NOT NULL,
  name VARCHAR(128) NOT NULL,
  device_id INTEGER NOT NULL,
  record TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (session_id, name, device_id),
  FOREIGN KEY (session_id) REFERENCES wa_sessions(id) ON DELETE CASCADE
);

-- One-time pre-keys (encrypted).
CREATE TABLE IF NOT EXISTS signal_pre_keys (
  session_id VARCHAR(64) NOT NULL,
  key_id INTEGER NOT NULL,
  record TEXT NOT NULL,
  PRIMARY KEY (session_id, key_id),
  FOREIGN KEY (session_id) REFERENCES wa_sessions(id) ON DELETE CASCADE
);

-- Signed pre-keys (encrypted), old ones kept.
CREATE TABLE IF NOT EXISTS signal_signed_pre_keys (
  session_id VARCHAR(64) NOT NULL,
  key_id INTEGER NOT NULL,
  record TEXT NOT NULL,
  PRIMARY KEY (session_id, key_id),
  FOREIGN KEY (session_id) REFERENCES wa_sessions(id) ON DELETE CASCADE
);

-- Group sender keys (encrypted).
CREATE TABLE IF NOT EXISTS signal_sender_keys (
  session_id VARCHAR(64) NOT NULL,
  group_id VARCHAR(128) NOT NULL,
  sender VARCHAR(191) NOT NULL,
  record TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (session_id, group_id, sender),
  FOREIGN KEY (session_id) REFERENCES wa_sessions(id) ON DELETE CASCADE
);

-- PN user <-> LID user, one each way per session.
CREATE TABLE IF NOT EXISTS lid_mappings (
  session_id VARCHAR(64) NOT NULL,
  pn_user VARCHAR(64) NOT NULL,
  lid_user VARCHAR(64) NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (session_id, pn_user),
  FOREIGN KEY (session_id) REFERENCES wa_sessions(id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX IF NOT EXISTS ux_lid_mappings_lid ON lid_mappings (session_id, lid_user);

-- Contact names per session.
CREATE TABLE IF NOT EXISTS contacts (
  session_id VARCHAR(64) NOT NULL,
  jid VARCHAR(128) NOT NULL,
  push_name VARCHAR(255) NULL,
  full_name VARCHAR(255) NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (session_id, jid),
  FOREIGN KEY (session_id) REFERENCES wa_sessions(id) ON DELETE CASCADE
);

-- messageContextInfo.messageSecret by message id (encrypted).
CREATE TABLE IF NOT EXISTS message_secrets (
  session_id VARCHAR(64) NOT NULL,
  message_id VARCHAR(128) NOT NULL,
  secret TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (session_id, message_id),
  FOREIGN KEY (session_id) REFERENCES wa_sessions(id) ON DELETE CASCADE
);

-- Inbound and outbound messages. body is JSON. idempotency_key is unique per session (NULLs allowed).
CREATE TABLE IF NOT EXISTS messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  session_id VARCHAR(64) NOT NULL,
  direction VARCHAR(3) NOT NULL CHECK (direction IN ('in', 'out')),
  chat_jid VARCHAR(128) NOT NULL,
  sender_jid VARCHAR(128) NULL,
  message_id VARCHAR(128) NOT NULL,
  type VARCHAR(32) NOT NULL,
  body TEXT NOT NULL,
  status VARCHAR(16) NOT NULL CHECK (status IN ('received', 'queued', 'sent', 'delivered', 'read', 'played', 'failed')),
  error TEXT NULL,
  idempotency_key VARCHAR(191) NULL,
  message_ts BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  FOREIGN KEY (session_id) REFERENCES wa_sessions(id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX IF NOT EXISTS ux_messages_key ON messages (session_id, chat_jid, direction, message_id);
CREATE UNIQUE INDEX IF NOT EXISTS ux_messages_idempotency ON messages (session_id, idempotency_key);
CREATE INDEX IF NOT EXISTS ix_messages_chat ON messages (session_id, chat_jid, message_ts);
CREATE INDEX IF NOT EXISTS ix_messages_status ON messages (session_id, status);
CREATE INDEX IF NOT EXISTS ix_messages_created ON messages (session_id, created_at);
CREATE INDEX IF NOT EXISTS ix_messages_message_id ON messages (session_id, message_id);

-- Every status a message went through.
CREATE TABLE IF NOT EXISTS message_status_history (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  message_row_id BIGINT NOT NULL,
  status VARCHAR(16) NOT NULL,
  at BIGINT NOT NULL,
  detail TEXT NULL,
  FOREIGN KEY (message_row_id) REFERENCES messages(id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS ix_message_status_history_msg ON message_status_history (message_row_id, at);

-- Webhook events waiting for (or done with) delivery; survives restarts.
CREATE TABLE IF NOT EXISTS webhook_outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id VARCHAR(64) NOT NULL,
  session_id VARCHAR(64) NULL,
  event_type VARCHAR(64) NOT NULL,
  payload TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  last_error TEXT NULL,
  created_at BIGINT NOT NULL,
  delivered_at BIGINT NULL,
  failed_at BIGINT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS ux_webhook_outbox_event ON webhook_outbox (event_id);
CREATE INDEX IF NOT EXISTS ix_webhook_outbox_due ON webhook_outbox (delivered_at, failed_at, next_attempt_at);
CREATE INDEX IF NOT EXISTS ix_webhook_outbox_session ON webhook_outbox (session_id, created_at);

-- One row per delivery attempt.
CREATE TABLE IF NOT EXISTS webhook_deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  outbox_id BIGINT NOT NULL,
  attempt INTEGER NOT NULL,
  at BIGINT NOT NULL,
  http_status INTEGER NULL,
  error TEXT NULL,
  duration_ms INTEGER NULL,
  FOREIGN KEY (outbox_id) REFERENCES webhook_outbox(id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS ix_webhook_deliveries_outbox ON webhook_deliveries (outbox_id);

-- Media kept on disk; SQL keeps the path and hash.
CREATE TABLE IF NOT EXISTS media_files (
  id VARCHAR(64) NOT NULL PRIMARY KEY,
  session_id VARCHAR(64) NULL,
  owner_id VARCHAR(36) NULL,
  path TEXT NOT NULL,
  sha256 CHAR(64) NOT NULL,
  mime VARCHAR(127) NOT NULL,
  size BIGINT NOT NULL,
  original_name VARCHAR(255) NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NULL,
  FOREIGN KEY (session_id) REFERENCES wa_sessions(id) ON DELETE SET NULL,
  FOREIGN KEY (owner_id) REFERENCES users(id) ON DELETE SET NULL
);
CREATE INDEX IF NOT EXISTS ix_media_files_sha256 ON media_files (sha256);
CREATE INDEX IF NOT EXISTS ix_media_files_owner ON media_files (owner_id);
CREATE INDEX IF NOT EXISTS ix_media_files_session ON media_files (session_id);
CREATE INDEX IF NOT EXISTS ix_media_files_expires ON media_files (expires_at);

-- Recipient lists. tags is a JSON array.
CREATE TABLE IF NOT EXISTS recipient_lists (
  id VARCHAR(191) NOT NULL PRIMARY KEY,
  name VARCHAR(191) NOT NULL,
  description TEXT NULL,
  tags TEXT NOT NULL,
  created_by_id VARCHAR(36) NULL,
  created_by_email VARCHAR(191) NULL,
  usage_count INTEGER NOT NULL DEFAULT 0,
  last_used_at BIGINT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  FOREIGN KEY (created_by_id) REFERENCES users(id) ON DELETE SET NULL
);
CREATE INDEX IF NOT EXISTS ix_recipient_lists_creator ON recipient_lists (created_by_id);
CREATE INDEX IF NOT EXISTS ix_recipient_lists_name ON recipient_lists (name);

-- Members of a recipient list. custom_fields is a JSON object.
CREATE TABLE IF NOT EXISTS recipients (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  list_id VARCHAR(191) NOT NULL,
  number VARCHAR(20) NOT NULL,
  name VARCHAR(191) NULL,
  job_title VARCHAR(191) NULL,
  company_name VARCHAR(191) NULL,
  custom_fields TEXT NOT NULL,
  added_at BIGINT NOT NULL,
  FOREIGN KEY (list_id) REFERENCES recipient_lists(id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS ix_recipients_list ON recipients (list_id, id);
CREATE INDEX IF NOT EXISTS ix_recipients_number ON recipients (list_id, number);

-- Campaigns; message/settings/statistics are JSON.
CREATE TABLE IF NOT EXISTS campaigns (
  id VARCHAR(191) NOT NULL PRIMARY KEY,
  name VARCHAR(191) NOT NULL,
  status VARCHAR(16) NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'ready', 'scheduled', 'running', 'sending', 'paused', 'completed', 'cancelled', 'failed')),
  session_id VARCHAR(64) NULL,
  message TEXT NOT NULL,
  settings TEXT NOT NULL,
  statistics TEXT NULL,
  scheduled_at BIGINT NULL,
  started_at BIGINT NULL,
  completed_at BIGINT NULL,
  created_by_id VARCHAR(36) NULL,
  created_by_email VARCHAR(191) NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  FOREIGN KEY (session_id) REFERENCES wa_sessions(id) ON DELETE SET NULL,
  FOREIGN KEY (created_by_id) REFERENCES users(id) ON DELETE SET NULL
);
CREATE INDEX IF NOT EXISTS ix_campaigns_status ON campaigns (status, scheduled_at);
CREATE INDEX IF NOT EXISTS ix_campaigns_creator ON campaigns (created_by_id);
CREATE INDEX IF NOT EXISTS ix_campaigns_session ON campaigns (session_id);

-- One row per campaign recipient; the send loop picks by (campaign, status, next attempt).
CREATE TABLE IF NOT EXISTS campaign_recipients (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  campaign_id VARCHAR(191) NOT NULL,
  number VARCHAR(20) NOT NULL,
  payload TEXT NOT NULL,
  status VARCHAR(16) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'skipped')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NULL,
  sent_at BIGINT NULL,
  message_id VARCHAR(128) NULL,
  error TEXT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  FOREIGN KEY (campaign_id) REFERENCES campaigns(id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS ix_campaign_recipients_pick ON campaign_recipients (campaign_id, status, next_attempt_at);
CREATE INDEX IF NOT EXISTS ix_campaign_recipients_number ON campaign_recipients (campaign_id, number);
CREATE INDEX IF NOT EXISTS ix_campaign_recipients_message ON campaign_recipients (message_id);

-- Audit log. legacy_id makes the import of old activity files idempotent.
CREATE TABLE IF NOT EXISTS activity_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  legacy_id VARCHAR(64) NULL,
  at BIGINT NOT NULL,
  user_id VARCHAR(36) NULL,
  user_email VARCHAR(191) NULL,
  action VARCHAR(100) NOT NULL,
  resource_type VARCHAR(64) NULL,
  resource_id VARCHAR(191) NULL,
  details TEXT NULL,
  ip VARCHAR(45) NULL,
  user_agent VARCHAR(255) NULL,
  success SMALLINT NOT NULL DEFAULT 1,
  FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS ux_activity_log_legacy ON activity_log (legacy_id);
CREATE INDEX IF NOT EXISTS ix_activity_log_at ON activity_log (at);
CREATE INDEX IF NOT EXISTS ix_activity_log_user ON activity_log (user_id, at);
CREATE INDEX IF NOT EXISTS ix_activity_log_email ON activity_log (user_email, at);
CREATE INDEX IF NOT EXISTS ix_activity_log_action ON activity_log (action, at);
CREATE INDEX IF NOT EXISTS ix_activity_log_resource ON activity_log (resource_type, resource_id);
