-- One row per job. Status and timestamps are a projection of the job.* events
-- (last_seq = the seq of the last event applied, so replays never move it backwards).
CREATE TABLE jobs (
    job_id           text PRIMARY KEY,
    workflow_id      text NOT NULL,
    workflow_version integer NOT NULL,
    workflow_hash    text NOT NULL,
    status           text NOT NULL DEFAULT 'created'
        CHECK (status IN ('created', 'running', 'completed', 'failed', 'cancelled')),
    request_id       text UNIQUE,
    asset_id         text,
    inputs           jsonb NOT NULL DEFAULT '{}'::jsonb,
    output           jsonb,
    error            jsonb,
    progress         jsonb,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    started_at       timestamptz,
    completed_at     timestamptz,
    last_seq         bigint NOT NULL DEFAULT -1
);

-- list_jobs pages newest first on (created_at, job_id), optionally filtered.
CREATE INDEX jobs_created_idx ON jobs (created_at DESC, job_id DESC);
CREATE INDEX jobs_status_created_idx ON jobs (status, created_at DESC, job_id DESC);
CREATE INDEX jobs_workflow_created_idx ON jobs (workflow_id, created_at DESC, job_id DESC);
CREATE INDEX jobs_asset_created_idx ON jobs (asset_id, created_at DESC, job_id DESC)
    WHERE asset_id IS NOT NULL;
