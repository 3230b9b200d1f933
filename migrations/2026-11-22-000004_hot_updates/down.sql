ALTER TABLE device_counters RESET (fillfactor);
ALTER TABLE users RESET (fillfactor);
ALTER TABLE usage_daily RESET (fillfactor);
