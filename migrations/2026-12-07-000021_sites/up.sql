-- Sites: each router this backend drives, with everything that differs from one to the next
-- (address, credentials sealed with the site key, TLS pin, networks, lists and profiles, comment
-- prefix, write budget) and what was last seen of it. CIDR lists are text arrays cast-checked
-- as cidr, so a malformed range never lands.
ALTER TABLE routers
    ADD COLUMN password_sealed  BYTEA,
    ADD COLUMN tls_fingerprint  TEXT CHECK (tls_fingerprint ~ '^[0-9a-f]{64}$'),
    ADD COLUMN client_ranges    TEXT[] NOT NULL DEFAULT '{}' CHECK (client_ranges::cidr[] IS NOT NULL),
    ADD COLUMN egress_addresses TEXT[] NOT NULL DEFAULT '{}' CHECK (egress_addresses::cidr[] IS NOT NULL),
    ADD COLUMN site_token       TEXT UNIQUE CHECK (site_token ~ '^[A-Za-z0-9_.-]{1,64}$'),
    ADD COLUMN status_lists     JSONB,
    ADD COLUMN status_profiles  JSONB,
    ADD COLUMN comment_prefix   TEXT NOT NULL DEFAULT 'hotspot:' CHECK (char_length(comment_prefix) BETWEEN 3 AND 32),
    ADD COLUMN max_in_flight    INTEGER NOT NULL DEFAULT 64 CHECK (max_in_flight BETWEEN 1 AND 1024),
    ADD COLUMN from_env         BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN last_contact_at  TIMESTAMPTZ,
    ADD COLUMN last_error       TEXT,
    ADD COLUMN ros_version      TEXT,
    ADD COLUMN identity         TEXT;

-- At most one site is described by the environment (HOTSPOT_ROUTER_*).
CREATE UNIQUE INDEX routers_one_from_env ON routers (from_env) WHERE from_env;

-- The row the single-router settings registered before sites existed is the environment's.
UPDATE routers SET from_env = TRUE WHERE id = (SELECT min(id) FROM routers WHERE name = 'main');

-- Each cycle is one site's; a site's devices are the ones bound there (those bound before sites
-- existed belong to the environment's site).
ALTER TABLE sync_runs ADD COLUMN router_id INTEGER REFERENCES routers (id) ON DELETE CASCADE;
CREATE INDEX sync_runs_router_idx ON sync_runs (router_id, id DESC);
CREATE INDEX user_devices_router_idx ON user_devices (router_id) WHERE router_id IS NOT NULL;
