ALTER TABLE voucher_batches DROP COLUMN site_ids;
ALTER TABLE packages DROP COLUMN site_ids;
