-- A refresh family started by an admin's password sign-in; only such a session holds admin
-- rights (a WhatsApp code alone never does).
ALTER TABLE refresh_tokens ADD COLUMN elevated boolean NOT NULL DEFAULT false;
