DROP TABLE sync_runs;
DROP TABLE quota_ledger;
DROP TABLE usage_daily;
DROP TABLE device_counters;
