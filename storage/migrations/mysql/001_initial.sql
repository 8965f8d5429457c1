-- Super Light schema v1 (mysql). Timestamps are integer milliseconds since the Unix epoch;
-- JSON is stored as text; key material is base64 text of AES-256-GCM ciphertext.
-- Every statement is re-runnable (IF NOT EXISTS) so a MariaDB run interrupted half-way
-- (DDL auto-commits there) can simply be run again.

-- Key/value settings (also the secret key-check value).
CREATE TABLE IF NOT EXISTS settings (
  name VARCHAR(191) NOT NULL PRIMARY KEY,
  value MEDIUMTEXT NOT NULL,
  updated_at BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

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
  updated_at BIGINT NOT NULL,
  UNIQUE KEY ux_users_email (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Dashboard login sessions; the cookie value is stored only as its SHA-256.
CREATE TABLE IF NOT EXISTS auth_sessions (
  id_hash CHAR(64) NOT NULL PRIMARY KEY,
  user_id VARCHAR(36) NOT NULL,
  created_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  ip VARCHAR(45) NULL,
  user_agent VARCHAR(255) NULL,
  KEY ix_auth_sessions_user (user_id),
  KEY ix_auth_sessions_expires (expires_at),
  FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

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
  settings MEDIUMTEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  last_connected_at BIGINT NULL,
  KEY ix_wa_sessions_owner (owner_id),
  KEY ix_wa_sessions_status (status),
  FOREIGN KEY (owner_id) REFERENCES users(id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

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
  UNIQUE KEY ux_api_tokens_hash (token_hash),
  KEY ix_api_tokens_session (session_id),
  KEY ix_api_tokens_user (user_id),
  FOREIGN KEY (session_id) REFERENCES wa_sessions(id) ON DELETE CASCADE,
  FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- wa/store DeviceCredentials per session, encrypted JSON.
CREATE TABLE IF NOT EXISTS device_credentials (
  session_id VARCHAR(64) NOT NULL PRIMARY KEY,
  data MEDIUMTEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  FOREIGN KEY (session_id) REFERENCES wa_sessions(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Remote identity keys (encrypted).
CREATE TABLE IF NOT EXISTS signal_identities (
  session_id VARCHAR(64) NOT NULL,
  address VARCHAR(191) NOT NULL,
  record TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (session_id, address),
  FOREIGN KEY (session_id) REFERENCES wa_sessions(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Signal session records (encrypted) by address name and device.
CREATE TABLE IF NOT EXISTS signal_sessions (
  session_id VARCHAR(64) NOT NULL,
  name VARCHAR(128) NOT NULL,
  device_id INT NOT NULL,
  record MEDIUMTEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (session_id, name, device_id),
  FOREIGN KEY (session_id) REFERENCES wa_sessions(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One-time pre-keys (encrypted).
CREATE TABLE IF NOT EXISTS signal_pre_keys (
  session_id VARCHAR(64) NOT NULL,
  key_id INT NOT NULL,
  record TEXT NOT NULL,
  PRIMARY KEY (session_id, key_id),
  FOREIGN KEY (session_id) REFERENCES wa_sessions(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Signed pre-keys (encrypted), old ones kept.
CREATE TABLE IF NOT EXISTS signal_signed_pre_keys (
  session_id VARCHAR(64) NOT NULL,
  key_id INT NOT NULL,
  record TEXT NOT NULL,
  PRIMARY KEY (session_id, key_id),
  FOREIGN KEY (session_id) REFERENCES wa_sessions(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Group sender keys (encrypted).
CREATE TABLE IF NOT EXISTS signal_sender_keys (
  session_id VARCHAR(64) NOT NULL,
  group_id VARCHAR(128) NOT NULL,
  sender VARCHAR(191) NOT NULL,
  record MEDIUMTEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (session_id, group_id, sender),
  FOREIGN KEY (session_id) REFERENCES wa_sessions(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- PN user <-> LID user, one each way per session.
CREATE TABLE IF NOT EXISTS lid_mappings (
  session_id VARCHAR(64) NOT NULL,
  pn_user VARCHAR(64) NOT NULL,
  lid_user VARCHAR(64) NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (session_id, pn_user),
  UNIQUE KEY ux_lid_mappings_lid (session_id, lid_user),
  FOREIGN KEY (session_id) REFERENCES wa_sessions(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Contact names per session.
CREATE TABLE IF NOT EXISTS contacts (
  session_id VARCHAR(64) NOT NULL,
  jid VARCHAR(128) NOT NULL,
  push_name VARCHAR(255) NULL,
  full_name VARCHAR(255) NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (session_id, jid),
  FOREIGN KEY (session_id) REFERENCES wa_sessions(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- messageContextInfo.messageSecret by message id (encrypted).
CREATE TABLE IF NOT EXISTS message_secrets (
  session_id VARCHAR(64) NOT NULL,
  message_id VARCHAR(128) NOT NULL,
  secret TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (session_id, message_id),
  FOREIGN KEY (session_id) REFERENCES wa_sessions(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Inbound and outbound messages. body is JSON. idempotency_key is unique per session (NULLs allowed).
CREATE TABLE IF NOT EXISTS messages (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  session_id VARCHAR(64) NOT NULL,
  direction VARCHAR(3) NOT NULL CHECK (direction IN ('in', 'out')),
  chat_jid VARCHAR(128) NOT NULL,
  sender_jid VARCHAR(128) NULL,
  message_id VARCHAR(128) NOT NULL,
  type VARCHAR(32) NOT NULL,
  body MEDIUMTEXT NOT NULL,
  status VARCHAR(16) NOT NULL CHECK (status IN ('received', 'queued', 'sent', 'delivered', 'read', 'played', 'failed')),
  error TEXT NULL,
  idempotency_key VARCHAR(191) NULL,
  message_ts BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE KEY ux_messages_key (session_id, chat_jid, direction, message_id),
  UNIQUE KEY ux_messages_idempotency (session_id, idempotency_key),
  KEY ix_messages_chat (session_id, chat_jid, message_ts),
  KEY ix_messages_status (session_id, status),
  KEY ix_messages_created (session_id, created_at),
  KEY ix_messages_message_id (session_id, message_id),
  FOREIGN KEY (session_id) REFERENCES wa_sessions(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Every status a message went through.
CREATE TABLE IF NOT EXISTS message_status_history (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  message_row_id BIGINT NOT NULL,
  status VARCHAR(16) NOT NULL,
  at BIGINT NOT NULL,
  detail TEXT NULL,
  KEY ix_message_status_history_msg (message_row_id, at),
  FOREIGN KEY (message_row_id) REFERENCES messages(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Webhook events waiting for (or done with) delivery; survives restarts.
CREATE TABLE IF NOT EXISTS webhook_outbox (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  event_id VARCHAR(64) NOT NULL,
  session_id VARCHAR(64) NULL,
  event_type VARCHAR(64) NOT NULL,
  payload MEDIUMTEXT NOT NULL,
  attempts INT NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  last_error TEXT NULL,
  created_at BIGINT NOT NULL,
  delivered_at BIGINT NULL,
  failed_at BIGINT NULL,
  UNIQUE KEY ux_webhook_outbox_event (event_id),
  KEY ix_webhook_outbox_due (delivered_at, failed_at, next_attempt_at),
  KEY ix_webhook_outbox_session (session_id, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One row per delivery attempt.
CREATE TABLE IF NOT EXISTS webhook_deliveries (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  outbox_id BIGINT NOT NULL,
  attempt INT NOT NULL,
  at BIGINT NOT NULL,
  http_status INT NULL,
  error TEXT NULL,
  duration_ms INT NULL,
  KEY ix_webhook_deliveries_outbox (outbox_id),
  FOREIGN KEY (outbox_id) REFERENCES webhook_outbox(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

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
  KEY ix_media_files_sha256 (sha256),
  KEY ix_media_files_owner (owner_id),
  KEY ix_media_files_session (session_id),
  KEY ix_media_files_expires (expires_at),
  FOREIGN KEY (session_id) REFERENCES wa_sessions(id) ON DELETE SET NULL,
  FOREIGN KEY (owner_id) REFERENCES users(id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Recipient lists. tags is a JSON array.
CREATE TABLE IF NOT EXISTS recipient_lists (
  id VARCHAR(191) NOT NULL PRIMARY KEY,
  name VARCHAR(191) NOT NULL,
  description TEXT NULL,
  tags TEXT NOT NULL,
  created_by_id VARCHAR(36) NULL,
  created_by_email VARCHAR(191) NULL,
  usage_count INT NOT NULL DEFAULT 0,
  last_used_at BIGINT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  KEY ix_recipient_lists_creator (created_by_id),
  KEY ix_recipient_lists_name (name),
  FOREIGN KEY (created_by_id) REFERENCES users(id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Members of a recipient list. custom_fields is a JSON object.
CREATE TABLE IF NOT EXISTS recipients (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  list_id VARCHAR(191) NOT NULL,
  number VARCHAR(20) NOT NULL,
  name VARCHAR(191) NULL,
  job_title VARCHAR(191) NULL,
  company_name VARCHAR(191) NULL,
  custom_fields TEXT NOT NULL,
  added_at BIGINT NOT NULL,
  KEY ix_recipients_list (list_id, id),
  KEY ix_recipients_number (list_id, number),
  FOREIGN KEY (list_id) REFERENCES recipient_lists(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Campaigns; message/settings/statistics are JSON.
CREATE TABLE IF NOT EXISTS campaigns (
  id VARCHAR(191) NOT NULL PRIMARY KEY,
  name VARCHAR(191) NOT NULL,
  status VARCHAR(16) NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'ready', 'scheduled', 'running', 'sending', 'paused', 'completed', 'cancelled', 'failed')),
  session_id VARCHAR(64) NULL,
  message MEDIUMTEXT NOT NULL,
  settings TEXT NOT NULL,
  statistics TEXT NULL,
  scheduled_at BIGINT NULL,
  started_at BIGINT NULL,
  completed_at BIGINT NULL,
  created_by_id VARCHAR(36) NULL,
  created_by_email VARCHAR(191) NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  KEY ix_campaigns_status (status, scheduled_at),
  KEY ix_campaigns_creator (created_by_id),
  KEY ix_campaigns_session (session_id),
  FOREIGN KEY (session_id) REFERENCES wa_sessions(id) ON DELETE SET NULL,
  FOREIGN KEY (created_by_id) REFERENCES users(id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One row per campaign recipient; the send loop picks by (campaign, status, next attempt).
CREATE TABLE IF NOT EXISTS campaign_recipients (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  campaign_id VARCHAR(191) NOT NULL,
  number VARCHAR(20) NOT NULL,
  payload TEXT NOT NULL,
  status VARCHAR(16) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'skipped')),
  attempts INT NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NULL,
  sent_at BIGINT NULL,
  message_id VARCHAR(128) NULL,
  error TEXT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  KEY ix_campaign_recipients_pick (campaign_id, status, next_attempt_at),
  KEY ix_campaign_recipients_number (campaign_id, number),
  KEY ix_campaign_recipients_message (message_id),
  FOREIGN KEY (campaign_id) REFERENCES campaigns(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Audit log. legacy_id makes the import of old activity files idempotent.
CREATE TABLE IF NOT EXISTS activity_log (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
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
  UNIQUE KEY ux_activity_log_legacy (legacy_id),
  KEY ix_activity_log_at (at),
  KEY ix_activity_log_user (user_id, at),
  KEY ix_activity_log_email (user_email, at),
  KEY ix_activity_log_action (action, at),
  KEY ix_activity_log_resource (resource_type, resource_id),
  FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
