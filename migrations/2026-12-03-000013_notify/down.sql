DROP INDEX message_log_key_idx;
ALTER TABLE message_log DROP COLUMN idempotency_key;
