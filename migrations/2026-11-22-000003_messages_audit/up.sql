-- Outbound WhatsApp messages (never their text: it may hold a code) and the admin audit trail.

CREATE TABLE message_log (
    id                  BIGSERIAL PRIMARY KEY,
    user_id             UUID REFERENCES users (id) ON DELETE SET NULL,
    to_msisdn           TEXT NOT NULL CHECK (to_msisdn ~ '^\+[1-9][0-9]{7,14}$'),
    template            TEXT NOT NULL,
    provider            TEXT NOT NULL,
    provider_message_id TEXT,
    status              TEXT NOT NULL DEFAULT 'queued'
                        CHECK (status IN ('queued', 'sent', 'delivered', 'read', 'failed')),
    error               TEXT,
    attempts            INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at             TIMESTAMPTZ,
    delivered_at        TIMESTAMPTZ,
    read_at             TIMESTAMPTZ,
    failed_at           TIMESTAMPTZ,
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX message_log_provider_id_idx ON message_log (provider, provider_message_id)
    WHERE provider_message_id IS NOT NULL;
CREATE INDEX message_log_created_idx ON message_log (created_at DESC);
CREATE INDEX message_log_user_idx ON message_log (user_id, created_at DESC);

CREATE TABLE audit_log (
    id            BIGSERIAL PRIMARY KEY,
    actor_user_id UUID REFERENCES users (id) ON DELETE SET NULL,
    action        TEXT NOT NULL CHECK (char_length(action) BETWEEN 1 AND 100),
    target_type   TEXT,
    target_id     TEXT,
    details       JSONB NOT NULL DEFAULT '{}'::jsonb,
    request_id    TEXT,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_created_idx ON audit_log (created_at DESC);
CREATE INDEX audit_log_target_idx ON audit_log (target_type, target_id);
