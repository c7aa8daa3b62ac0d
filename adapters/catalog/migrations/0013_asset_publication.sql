-- The asset's latest publish or unpublish job and how it ended (domain.assets.Publication).
ALTER TABLE assets ADD COLUMN publication jsonb;
