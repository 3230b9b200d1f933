-- One vocabulary: roles and approval statuses in the existing frontend's spelling, in the API
-- and in the database alike.
ALTER TABLE users DROP CONSTRAINT users_admin_password;
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users DROP CONSTRAINT users_approval_status_check;
UPDATE users SET role = upper(role),
                 approval_status = CASE approval_status WHEN 'pending' THEN 'PENDING_APPROVAL' ELSE upper(approval_status) END;
ALTER TABLE users ALTER COLUMN role SET DEFAULT 'USER';
ALTER TABLE users ALTER COLUMN approval_status SET DEFAULT 'PENDING_APPROVAL';
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('USER', 'KOMANDAN', 'ADMIN', 'SUPER_ADMIN'));
ALTER TABLE users ADD CONSTRAINT users_approval_status_check
    CHECK (approval_status IN ('PENDING_APPROVAL', 'APPROVED', 'REJECTED'));
ALTER TABLE users ADD CONSTRAINT users_admin_password CHECK ((role IN ('ADMIN', 'SUPER_ADMIN')) = (password_hash IS NOT NULL));
