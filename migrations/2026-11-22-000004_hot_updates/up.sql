-- Room on each page for the rows the sync rewrites every cycle, so PostgreSQL can update them in
-- place (HOT: no index writes when no indexed column changes). Applies to pages written from now.
ALTER TABLE device_counters SET (fillfactor = 70);
ALTER TABLE users SET (fillfactor = 80);
ALTER TABLE usage_daily SET (fillfactor = 80);
