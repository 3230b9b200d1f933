ALTER TABLE sync_runs DROP COLUMN IF EXISTS stage;
DROP INDEX IF EXISTS usage_daily_day_idx;
CREATE INDEX usage_daily_day_idx ON usage_daily (day, bytes DESC);
ALTER TABLE quota_ledger RESET (fillfactor);
ALTER TABLE usage_daily SET (fillfactor = 80);
ALTER TABLE device_counters SET (fillfactor = 70);
ALTER TABLE users SET (fillfactor = 80);
DROP INDEX IF EXISTS login_history_created_idx;
