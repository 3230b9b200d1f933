ALTER TABLE users DROP COLUMN messages_opt_out;
ALTER TABLE users DROP COLUMN language;
