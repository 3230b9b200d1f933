ALTER TABLE routers DROP COLUMN housekeeping;
