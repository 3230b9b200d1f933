DELETE FROM login_history WHERE method = 'router_login';
ALTER TABLE login_history DROP CONSTRAINT login_history_method_check;
ALTER TABLE login_history ADD CONSTRAINT login_history_method_check
    CHECK (method IN ('otp', 'auto_login', 'password', 'session_token'));
ALTER TABLE refresh_tokens DROP COLUMN device_id;
ALTER TABLE user_devices DROP COLUMN proof_hash;
DROP INDEX users_unproven_idx;
ALTER TABLE users DROP COLUMN phone_verified_at;
