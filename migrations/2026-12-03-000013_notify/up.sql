-- Lifecycle messages: each is sent once per (user, event, period), the key on its log row.
-- (The daily cap counts a recipient's reminders of the day through message_log_user_idx.)
ALTER TABLE message_log ADD COLUMN idempotency_key TEXT CHECK (char_length(idempotency_key) BETWEEN 1 AND 200);
CREATE UNIQUE INDEX message_log_key_idx ON message_log (idempotency_key) WHERE idempotency_key IS NOT NULL;
