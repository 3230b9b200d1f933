-- Router housekeeping per site (static DHCP leases, the not-signed-in list, stale hosts), each
-- part off until an operator sets it; the sync repairs each at the site's cycle.
ALTER TABLE routers ADD COLUMN housekeeping JSONB NOT NULL DEFAULT '{}'::jsonb
    CHECK (jsonb_typeof(housekeeping) = 'object');
