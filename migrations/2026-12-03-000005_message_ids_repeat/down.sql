DROP INDEX message_log_provider_id_idx;
-- Repeated ids keep only their newest row's id, so the unique index can come back.
UPDATE message_log m SET provider_message_id = NULL
WHERE provider_message_id IS NOT NULL AND EXISTS (
    SELECT 1 FROM message_log n
    WHERE n.provider = m.provider AND n.provider_message_id = m.provider_message_id AND n.id > m.id
);
CREATE UNIQUE INDEX message_log_provider_id_idx ON message_log (provider, provider_message_id)
    WHERE provider_message_id IS NOT NULL;
