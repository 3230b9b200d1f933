-- The trust boundary: a phone proven by a code, a device's proof cookie, the device a session
-- signed in, a device the router witnessed.

-- Registrations whose phone no code has proven yet block nobody (a second registration of the
-- same phone replaces them; they expire after a day).
ALTER TABLE users ADD COLUMN phone_verified_at TIMESTAMPTZ;
UPDATE users SET phone_verified_at = COALESCE(approved_at, created_at) WHERE approval_status <> 'pending';
CREATE INDEX users_unproven_idx ON users (created_at) WHERE phone_verified_at IS NULL;

-- The SHA-256 of the device's HttpOnly proof cookie (auto-login needs it).
ALTER TABLE user_devices ADD COLUMN proof_hash BYTEA CHECK (proof_hash IS NULL OR octet_length(proof_hash) = 32);

-- A session's device rides through its refresh family (logout deauthorizes that one only).
ALTER TABLE refresh_tokens ADD COLUMN device_id BIGINT REFERENCES user_devices (id) ON DELETE SET NULL;

-- A device bound because the router saw it log in with one-time hotspot credentials.
ALTER TABLE login_history DROP CONSTRAINT login_history_method_check;
ALTER TABLE login_history ADD CONSTRAINT login_history_method_check
    CHECK (method IN ('otp', 'auto_login', 'password', 'session_token', 'router_login'));
