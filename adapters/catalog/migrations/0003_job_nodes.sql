-- Latest state of each attempt of each node: a projection of the node.* events.
-- An event without an attempt (node.ready, node.skipped) counts as attempt 1.
CREATE TABLE job_nodes (
    job_id           text NOT NULL REFERENCES jobs (job_id) ON DELETE CASCADE,
    node_id          text NOT NULL,
    attempt          integer NOT NULL CHECK (attempt >= 1),
    status           text NOT NULL,
    handler          text,
    queue            text,
    started_at       timestamptz,
    finished_at      timestamptz,
    error            jsonb,
    output           jsonb,
    progress_percent real CHECK (progress_percent BETWEEN 0 AND 100),
    progress_message text,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    last_seq         bigint NOT NULL DEFAULT -1,
    PRIMARY KEY (job_id, node_id, attempt)
);

-- The latest attempt of every node, with how many attempts it had.
-- A filter on job_id is pushed below the window (it is a partition key).
CREATE VIEW job_nodes_latest AS
SELECT DISTINCT ON (job_id, node_id)
       n.*,
       count(*) OVER (PARTITION BY job_id, node_id) AS attempts
  FROM job_nodes AS n
 ORDER BY job_id, node_id, attempt DESC;
