-- Which credential made each revision (platform:<id>, reviewer, entra:<name or oid>, open),
-- beside `by`, who it says acted. NULL for revisions from before it was recorded and for
-- dagmaster's own (job reports, publication).
ALTER TABLE asset_revisions ADD COLUMN via text;
