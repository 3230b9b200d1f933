-- An account's Telegram chat, linked by the one-time token the account's own session asked for
-- (`/start <token>` to the operator's bot). One chat per account and one account per chat.
CREATE TABLE telegram_links (
    user_id    UUID PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    chat_id    BIGINT NOT NULL UNIQUE,
    username   TEXT,
    linked_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
