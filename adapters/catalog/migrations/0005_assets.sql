-- The asset read model: a projection of the `asset` durable entities (the truth), guarded
-- by the entity's revision so a replayed or late projection never moves a row backwards.

-- The platform registry (platforms/*.yaml), projected on start-up of the API.
CREATE TABLE platforms (
    platform_id   text PRIMARY KEY,
    name          text NOT NULL,
    active        boolean NOT NULL,
    identity      text[] NOT NULL,
    version_label text,
    data_types    jsonb NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE assets (
    asset_id           text PRIMARY KEY,
    platform_id        text NOT NULL,
    identity           jsonb NOT NULL,
    identity_key       text NOT NULL,  -- canonical JSON of the identity, in the platform's order
    title              text,
    metadata           jsonb NOT NULL DEFAULT '{}'::jsonb,
    revision           bigint NOT NULL CHECK (revision >= 1),
    clearance          text NOT NULL CHECK (clearance IN ('uncleared', 'cleared', 'public')),
    public_ordinal     integer,
    deleted            boolean NOT NULL DEFAULT false,
    latest_ordinal     integer,
    latest_processing  text,
    latest_approval    text,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    projected_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT assets_identity_unique UNIQUE (platform_id, identity_key)
);

CREATE INDEX assets_created_idx ON assets (created_at DESC, asset_id DESC);
CREATE INDEX assets_platform_created_idx ON assets (platform_id, created_at DESC, asset_id DESC);

CREATE TABLE asset_versions (
    asset_id       text NOT NULL REFERENCES assets (asset_id) ON DELETE CASCADE,
    ordinal        integer NOT NULL CHECK (ordinal >= 1),
    version_label  text,
    request_id     text NOT NULL,
    data_type      text NOT NULL,
    workflow_id    text NOT NULL,
    source         jsonb NOT NULL,
    processing     text NOT NULL
        CHECK (processing IN ('queued', 'processing', 'completed', 'failed')),
    approval       text NOT NULL CHECK (approval IN ('pending', 'approved', 'rejected')),
    job_id         text NOT NULL,
    jobs           text[] NOT NULL,
    outputs        jsonb,
    error          jsonb,
    submitted_at   timestamptz NOT NULL,
    submitted_by   text NOT NULL,
    reviewed_at    timestamptz,
    reviewed_by    text,
    review_reason  text,
    updated_at     timestamptz NOT NULL,
    revision       bigint NOT NULL,
    PRIMARY KEY (asset_id, ordinal)
);

-- Every change of every asset: append-only (rows are never updated or deleted).
CREATE TABLE asset_revisions (
    asset_id    text NOT NULL,
    revision    bigint NOT NULL CHECK (revision >= 1),
    at          timestamptz NOT NULL,
    by          text NOT NULL,
    action      text NOT NULL,
    reason      text,
    ordinal     integer,
    command_id  text NOT NULL,
    details     jsonb NOT NULL DEFAULT '{}'::jsonb,
    PRIMARY KEY (asset_id, revision)
);

CREATE FUNCTION asset_revisions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'asset_revisions is append-only (% refused)', TG_OP;
END $$;

CREATE TRIGGER asset_revisions_append_only BEFORE UPDATE OR DELETE ON asset_revisions
    FOR EACH ROW EXECUTE FUNCTION asset_revisions_append_only();

-- B2B submissions by (platform, request id): the body's hash makes a retry with the same
-- body return the same answer and a different body a conflict.
CREATE TABLE api_requests (
    platform_id    text NOT NULL,
    request_id     text NOT NULL,
    body_hash      text NOT NULL,
    asset_id       text NOT NULL,
    instance_id    text NOT NULL,  -- the command orchestration
    ordinal        integer,
    job_id         text,
    outcome        jsonb,          -- the command's answer once known
    received_at    timestamptz NOT NULL DEFAULT now(),
    answered_at    timestamptz,
    PRIMARY KEY (platform_id, request_id)
);

CREATE INDEX api_requests_request_idx ON api_requests (request_id);
