-- Promotions: an announcement, or a registration bonus granted once when an account is
-- approved. Shown while ACTIVE and within its dates.
CREATE TABLE promos (
    id                  UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    name                TEXT NOT NULL,
    description         TEXT,
    event_type          TEXT NOT NULL CHECK (event_type IN ('BONUS_REGISTRATION', 'GENERAL_ANNOUNCEMENT')),
    status              TEXT NOT NULL CHECK (status IN ('DRAFT', 'ACTIVE', 'SCHEDULED', 'EXPIRED', 'ARCHIVED')),
    start_date          TIMESTAMPTZ NOT NULL,
    end_date            TIMESTAMPTZ,
    bonus_value_mb      BIGINT CHECK (bonus_value_mb >= 0),
    bonus_duration_days INTEGER CHECK (bonus_duration_days BETWEEN 1 AND 3650),
    created_by          UUID REFERENCES users (id) ON DELETE SET NULL,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (end_date IS NULL OR end_date >= start_date)
);
CREATE INDEX promos_running ON promos (status, start_date);

-- A komandan's request for quota (or unlimited access); an admin approves, approves in part or
-- rejects. One pending request per komandan.
CREATE TABLE quota_requests (
    id               UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    requester_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    request_type     TEXT NOT NULL CHECK (request_type IN ('QUOTA', 'UNLIMITED')),
    status           TEXT NOT NULL DEFAULT 'PENDING'
                     CHECK (status IN ('PENDING', 'APPROVED', 'REJECTED', 'PARTIALLY_APPROVED')),
    requested_mb     BIGINT CHECK (requested_mb > 0),
    requested_days   INTEGER CHECK (requested_days > 0),
    granted_mb       BIGINT CHECK (granted_mb >= 0),
    granted_days     INTEGER CHECK (granted_days >= 0),
    rejection_reason TEXT,
    processed_by     UUID REFERENCES users (id) ON DELETE SET NULL,
    processed_at     TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX quota_requests_one_pending ON quota_requests (requester_id) WHERE status = 'PENDING';
CREATE INDEX quota_requests_by_status ON quota_requests (status, created_at DESC);
CREATE INDEX quota_requests_by_requester ON quota_requests (requester_id, created_at DESC);

-- Which admins hear of which operator event over WhatsApp.
CREATE TABLE notification_recipients (
    event      TEXT NOT NULL CHECK (event IN ('NEW_USER_REGISTRATION', 'NEW_KOMANDAN_REQUEST', 'QUOTA_DEBT_LIMIT_EXCEEDED',
                                               'ROUTER_DOWN', 'GATEWAY_DOWN')),
    user_id    UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (event, user_id)
);
