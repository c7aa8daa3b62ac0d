-- The delivery orchestration of each asset: its generation (instance callbacks-<asset>[.<n>])
-- and whether it is open. A runner closes only under this row's lock, having seen nothing
-- pending; a wake-up that finds it closed starts the next generation (no event is stranded).
CREATE TABLE callback_runners (
    asset_id    text PRIMARY KEY,
    generation  integer NOT NULL DEFAULT 0,
    open        boolean NOT NULL DEFAULT true,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
