-- RADIUS mode per site: `api` (the sync binds and charges over the RouterOS API), `radius` (the
-- router asks FreeRADIUS at login and reports accounting; the backend decides and charges), or
-- `both` (RADIUS for sessions, the API for repair and the walled garden). The shared secret is
-- sealed with the site key like the API password; `radius_address` is the router's address as
-- FreeRADIUS sees its packets and where Disconnect/CoA requests go.
ALTER TABLE routers
    ADD COLUMN mode                 TEXT NOT NULL DEFAULT 'api' CHECK (mode IN ('api', 'radius', 'both')),
    ADD COLUMN radius_secret_sealed BYTEA,
    ADD COLUMN radius_address       TEXT CHECK (radius_address IS NULL OR radius_address::inet IS NOT NULL),
    ADD COLUMN radius_coa_port      INTEGER NOT NULL DEFAULT 3799 CHECK (radius_coa_port BETWEEN 1 AND 65535),
    ADD CONSTRAINT routers_radius_complete
        CHECK (mode = 'api' OR (radius_secret_sealed IS NOT NULL AND radius_address IS NOT NULL));

-- One row per accounting session a router reported: the running total already charged, so a
-- repeated, reordered or retransmitted report charges only what it adds (the row is locked while
-- a report is applied). A session stops with its Stop, with the next Start of the same phone at
-- that site, or when its reports stop coming.
CREATE TABLE radius_sessions (
    router_id     INTEGER NOT NULL REFERENCES routers (id) ON DELETE CASCADE,
    session_id    TEXT NOT NULL CHECK (char_length(session_id) BETWEEN 1 AND 64),
    user_id       UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    mac_address   TEXT NOT NULL,
    framed_ip     TEXT,
    charged_bytes BIGINT NOT NULL DEFAULT 0 CHECK (charged_bytes >= 0),
    started_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    stopped_at    TIMESTAMPTZ,
    stop_cause    TEXT CHECK (stop_cause IN ('stop', 'superseded', 'timeout')),
    PRIMARY KEY (router_id, session_id)
);
CREATE INDEX radius_sessions_open_user_idx ON radius_sessions (user_id) WHERE stopped_at IS NULL;
CREATE INDEX radius_sessions_open_mac_idx ON radius_sessions (router_id, mac_address) WHERE stopped_at IS NULL;
CREATE INDEX radius_sessions_quiet_idx ON radius_sessions (updated_at) WHERE stopped_at IS NULL;

-- FreeRADIUS tells its clients apart by address: two sites in RADIUS mode cannot share one.
CREATE UNIQUE INDEX routers_radius_address_key ON routers (radius_address) WHERE mode <> 'api';
