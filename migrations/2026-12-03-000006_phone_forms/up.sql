-- Indonesian numbers are mobile numbers (+628 and 8 to 11 more digits), as the application
-- parses them: every stored phone reads back as a phone.
ALTER TABLE users ADD CONSTRAINT users_phone_indonesian_mobile
    CHECK (phone_number !~ '^\+62' OR phone_number ~ '^\+628[0-9]{8,11}$');
