ALTER TABLE users DROP CONSTRAINT users_phone_indonesian_mobile;
