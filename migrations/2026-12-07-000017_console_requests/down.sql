DROP TABLE notification_recipients;
DROP TABLE quota_requests;
DROP TABLE promos;
