-- A gateway restarted (or a new one) numbers its messages from the start again, so a provider's
-- message id is not unique over time: delivery reports go to the newest message with that id.
DROP INDEX message_log_provider_id_idx;
CREATE INDEX message_log_provider_id_idx ON message_log (provider, provider_message_id, id DESC)
    WHERE provider_message_id IS NOT NULL;
