DROP TABLE login_history;
DROP TABLE refresh_tokens;
DROP TABLE user_devices;
DROP TABLE routers;
DROP TABLE users;
