ALTER TABLE users DROP CONSTRAINT users_admin_password;
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users DROP CONSTRAINT users_approval_status_check;
UPDATE users SET role = lower(role),
                 approval_status = CASE approval_status WHEN 'PENDING_APPROVAL' THEN 'pending' ELSE lower(approval_status) END;
ALTER TABLE users ALTER COLUMN role SET DEFAULT 'user';
ALTER TABLE users ALTER COLUMN approval_status SET DEFAULT 'pending';
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('user', 'komandan', 'admin', 'super_admin'));
ALTER TABLE users ADD CONSTRAINT users_approval_status_check CHECK (approval_status IN ('pending', 'approved', 'rejected'));
ALTER TABLE users ADD CONSTRAINT users_admin_password CHECK ((role IN ('admin', 'super_admin')) = (password_hash IS NOT NULL));
