-- The job timeline: append-only, one row per event, idempotent on event_id = job_id:seq.
CREATE TABLE job_events (
    event_id  text PRIMARY KEY,
    job_id    text NOT NULL REFERENCES jobs (job_id) ON DELETE CASCADE,
    seq       bigint NOT NULL CHECK (seq >= 0),
    kind      text NOT NULL,
    node_id   text,
    attempt   integer,
    at        timestamptz NOT NULL,
    data      jsonb NOT NULL DEFAULT '{}'::jsonb,
    CONSTRAINT job_events_id_matches CHECK (event_id = job_id || ':' || seq)
);

CREATE UNIQUE INDEX job_events_job_seq_idx ON job_events (job_id, seq);
