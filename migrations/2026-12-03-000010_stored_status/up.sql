-- The access status each user was last given (by the sync, an admin's change, a grant): what the
-- router enforces, indexed for the admin's status filter and the dashboard's counts. Written
-- only when it changes, so the sync's per-cycle quota updates stay HOT.
ALTER TABLE users ADD COLUMN access_status TEXT NOT NULL DEFAULT 'inactive'
    CHECK (access_status IN ('active', 'fup', 'habis', 'expired', 'blocked', 'inactive', 'unlimited'));
-- Backfilled with the default policy (FUP at 3 GiB); the first cycle applies the runtime one.
UPDATE users SET access_status = CASE
    WHEN is_blocked THEN 'blocked'
    WHEN NOT is_active OR approval_status <> 'APPROVED' THEN 'inactive'
    WHEN quota_expiry_date IS NOT NULL AND quota_expiry_date <= now() THEN 'expired'
    WHEN is_unlimited_user THEN 'unlimited'
    WHEN quota_purchased_bytes - quota_used_bytes <= 0 THEN 'habis'
    WHEN quota_purchased_bytes > 3221225472 AND quota_purchased_bytes - quota_used_bytes < 3221225472 THEN 'fup'
    ELSE 'active' END;
-- Counted per status (the narrow one: the dashboard reads all of it), and listed per status
-- newest first (the admin's default order).
CREATE INDEX users_access_status_idx ON users (access_status);
CREATE INDEX users_status_created_idx ON users (access_status, created_at DESC, id);
-- Users whose time runs out soon (the dashboard).
CREATE INDEX users_expiry_idx ON users (quota_expiry_date) WHERE quota_expiry_date IS NOT NULL;
-- A number from its start (the admin's search box): the trigram index is poor at digits.
CREATE INDEX users_phone_prefix_idx ON users (phone_number text_pattern_ops);

-- Usage per day in total, for the dashboard (summing 30 days of usage_daily is millions of rows
-- at scale). Written by the sync in the same transaction as the usage it sums, one row per day
-- and usage batch so parallel batches never wait on one row.
CREATE TABLE usage_day_totals (
    day        DATE NOT NULL,
    shard      INTEGER NOT NULL CHECK (shard >= 0),
    bytes      BIGINT NOT NULL DEFAULT 0 CHECK (bytes >= 0),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (day, shard)
);
INSERT INTO usage_day_totals (day, shard, bytes) SELECT day, 0, sum(bytes) FROM usage_daily GROUP BY day;

-- How many of our devices the router showed online in a cycle (the dashboard's "seen lately").
ALTER TABLE sync_runs ADD COLUMN hosts_count INTEGER NOT NULL DEFAULT 0 CHECK (hosts_count >= 0);
