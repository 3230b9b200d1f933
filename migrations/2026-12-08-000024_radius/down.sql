DROP INDEX routers_radius_address_key;
DROP TABLE radius_sessions;
ALTER TABLE routers
    DROP CONSTRAINT routers_radius_complete,
    DROP COLUMN radius_coa_port,
    DROP COLUMN radius_address,
    DROP COLUMN radius_secret_sealed,
    DROP COLUMN mode;
