DROP TABLE telegram_links;
