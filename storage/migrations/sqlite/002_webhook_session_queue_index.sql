-- Per-session ordering of webhook deliveries asks "is an older event of this session still
-- pending?" for every due row; without this index the probe walks the session's whole history
-- (delivery slowed to ~10 events/s with 1,000 pending rows).
CREATE INDEX IF NOT EXISTS ix_webhook_outbox_session_queue
  ON webhook_outbox (session_id, delivered_at, failed_at, id);
