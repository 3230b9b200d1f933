-- The public database-update form: a resident states who they are (name, role, where they
-- live); an admin approves (the account takes the stated values) or rejects. One pending
-- submission per number: a second one replaces it, so the form cannot fill the table.
CREATE TABLE update_submissions (
    id               UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    phone_number     TEXT NOT NULL,
    full_name        TEXT NOT NULL,
    role             TEXT NOT NULL CHECK (role IN ('USER', 'KOMANDAN', 'TAMPING')),
    blok             TEXT,
    kamar            TEXT,
    tamping_type     TEXT,
    status           TEXT NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'APPROVED', 'REJECTED')),
    rejection_reason TEXT,
    processed_by     UUID REFERENCES users (id) ON DELETE SET NULL,
    processed_at     TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX update_submissions_one_pending ON update_submissions (phone_number) WHERE status = 'PENDING';
CREATE INDEX update_submissions_by_status ON update_submissions (status, created_at DESC);
CREATE INDEX update_submissions_by_phone ON update_submissions (phone_number, created_at DESC);
