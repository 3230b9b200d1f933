-- Users, routers, devices, sessions. Text + CHECK instead of enum types: values can grow with an
-- expand migration without ALTER TYPE locks.

CREATE TABLE users (
    id                    UUID PRIMARY KEY,
    phone_number          TEXT NOT NULL UNIQUE CHECK (phone_number ~ '^\+[1-9][0-9]{7,14}$'),
    full_name             TEXT NOT NULL CHECK (char_length(full_name) BETWEEN 1 AND 100),
    role                  TEXT NOT NULL DEFAULT 'user'
                          CHECK (role IN ('user', 'komandan', 'admin', 'super_admin')),
    approval_status       TEXT NOT NULL DEFAULT 'pending'
                          CHECK (approval_status IN ('pending', 'approved', 'rejected')),
    is_active             BOOLEAN NOT NULL DEFAULT TRUE,
    is_blocked            BOOLEAN NOT NULL DEFAULT FALSE,
    blocked_reason        TEXT CHECK (blocked_reason IS NULL OR char_length(blocked_reason) <= 500),
    blocked_at            TIMESTAMPTZ,
    is_unlimited_user     BOOLEAN NOT NULL DEFAULT FALSE,
    quota_purchased_bytes BIGINT NOT NULL DEFAULT 0 CHECK (quota_purchased_bytes >= 0),
    quota_used_bytes      BIGINT NOT NULL DEFAULT 0 CHECK (quota_used_bytes >= 0),
    quota_expiry_date     TIMESTAMPTZ,
    password_hash         TEXT,
    profile               JSONB NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(profile) = 'object'),
    approved_at           TIMESTAMPTZ,
    last_login_at         TIMESTAMPTZ,
    created_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Admin roles sign in with a password; nobody else has one.
    CONSTRAINT users_admin_password CHECK (
        (role IN ('admin', 'super_admin')) = (password_hash IS NOT NULL)
    ),
    CONSTRAINT users_blocked_reason CHECK (NOT is_blocked OR blocked_reason IS NOT NULL)
);
CREATE INDEX users_listing_idx ON users (approval_status, created_at DESC);
CREATE INDEX users_full_name_idx ON users (lower(full_name));

CREATE TABLE routers (
    id             SERIAL PRIMARY KEY,
    name           TEXT NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9_.-]{1,64}$'),
    host           TEXT NOT NULL CHECK (char_length(host) BETWEEN 1 AND 253),
    port           INTEGER NOT NULL DEFAULT 8728 CHECK (port BETWEEN 1 AND 65535),
    use_tls        BOOLEAN NOT NULL DEFAULT FALSE,
    username       TEXT NOT NULL,
    hotspot_server TEXT NOT NULL DEFAULT 'all',
    is_enabled     BOOLEAN NOT NULL DEFAULT TRUE,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE user_devices (
    id               BIGSERIAL PRIMARY KEY,
    user_id          UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    mac_address      TEXT NOT NULL UNIQUE CHECK (mac_address ~ '^([0-9A-F]{2}:){5}[0-9A-F]{2}$'),
    ip_address       TEXT CHECK (ip_address IS NULL OR ip_address::inet IS NOT NULL),
    label            TEXT CHECK (label IS NULL OR char_length(label) <= 100),
    router_id        INTEGER REFERENCES routers (id) ON DELETE SET NULL,
    is_authorized    BOOLEAN NOT NULL DEFAULT FALSE,
    authorized_at    TIMESTAMPTZ,
    deauthorized_at  TIMESTAMPTZ,
    first_seen_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_seen_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT user_devices_authorized_at CHECK (NOT is_authorized OR authorized_at IS NOT NULL)
);
CREATE INDEX user_devices_user_idx ON user_devices (user_id, last_seen_at DESC);
CREATE INDEX user_devices_ip_idx ON user_devices (ip_address);
CREATE INDEX user_devices_stale_idx ON user_devices (last_seen_at);

CREATE TABLE refresh_tokens (
    id             BIGSERIAL PRIMARY KEY,
    user_id        UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash     BYTEA NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
    family_id      UUID NOT NULL,
    issued_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at     TIMESTAMPTZ NOT NULL,
    rotated_at     TIMESTAMPTZ,
    replaced_by    BIGINT REFERENCES refresh_tokens (id) ON DELETE SET NULL,
    revoked_at     TIMESTAMPTZ,
    revoked_reason TEXT,
    ip_address     TEXT,
    user_agent     TEXT CHECK (user_agent IS NULL OR char_length(user_agent) <= 512),
    CONSTRAINT refresh_tokens_lifetime CHECK (expires_at > issued_at)
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_expires_idx ON refresh_tokens (expires_at);

CREATE TABLE login_history (
    id          BIGSERIAL PRIMARY KEY,
    user_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device_id   BIGINT REFERENCES user_devices (id) ON DELETE SET NULL,
    method      TEXT NOT NULL CHECK (method IN ('otp', 'auto_login', 'password', 'session_token')),
    ip_address  TEXT,
    mac_address TEXT,
    user_agent  TEXT CHECK (user_agent IS NULL OR char_length(user_agent) <= 512),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX login_history_user_idx ON login_history (user_id, created_at DESC);
