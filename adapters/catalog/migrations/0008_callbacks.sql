-- Signed callbacks to B2B platforms: one row per event, delivered in seq order per asset.
CREATE TABLE callback_deliveries (
    event_id        text PRIMARY KEY,
    seq             bigserial NOT NULL UNIQUE,
    asset_id        text NOT NULL,
    platform_id     text NOT NULL,
    event_type      text NOT NULL,
    url             text NOT NULL,
    secret_setting  text NOT NULL,
    body            text NOT NULL,          -- the exact JSON sent (and signed) on every attempt
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    last_status_code integer,
    last_error      text,
    last_attempt_at timestamptz,
    finished_at     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX callback_deliveries_asset_idx ON callback_deliveries (asset_id, seq);
