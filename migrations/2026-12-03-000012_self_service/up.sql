-- What a user chooses for themselves: the language of their messages and whether they hear
-- reminders (transactional messages — codes, receipts — are always sent).
ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT 'id' CHECK (language IN ('id', 'en'));
ALTER TABLE users ADD COLUMN messages_opt_out BOOLEAN NOT NULL DEFAULT false;
