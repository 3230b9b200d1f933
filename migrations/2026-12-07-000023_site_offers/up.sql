-- Packages and voucher batches may be limited to some sites (empty: every site). A batch's
-- own list, when it has one, stands for its package's; ids are checked against routers when
-- written.
ALTER TABLE packages ADD COLUMN site_ids INTEGER[] NOT NULL DEFAULT '{}';
ALTER TABLE voucher_batches ADD COLUMN site_ids INTEGER[] NOT NULL DEFAULT '{}';
