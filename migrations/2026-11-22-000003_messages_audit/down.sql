DROP TABLE audit_log;
DROP TABLE message_log;
