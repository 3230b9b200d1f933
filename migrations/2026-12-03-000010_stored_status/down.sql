ALTER TABLE sync_runs DROP COLUMN hosts_count;
DROP TABLE usage_day_totals;
DROP INDEX users_phone_prefix_idx;
DROP INDEX users_expiry_idx;
DROP INDEX users_status_created_idx;
DROP INDEX users_access_status_idx;
ALTER TABLE users DROP COLUMN access_status;
