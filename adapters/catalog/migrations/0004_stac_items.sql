-- The STAC items dagmaster wrote, one row per (collection, item id): the item JSON as
-- stored next to the data, plus the columns the read API filters on. Re-indexing an item
-- (a retried or re-run stac_item) updates the row and keeps its created_at.
-- No PostGIS (the embedded server has none): the bbox (WGS84, west/south/east/north) is
-- four columns and a bbox query is four comparisons on the rows the other filters leave.
CREATE TABLE stac_items (
    collection  text NOT NULL CHECK (collection <> ''),
    item_id     text NOT NULL CHECK (item_id <> ''),
    job_id      text,
    node_id     text,
    bbox_west   double precision NOT NULL,
    bbox_south  double precision NOT NULL,
    bbox_east   double precision NOT NULL,
    bbox_north  double precision NOT NULL,
    geometry    jsonb NOT NULL,
    datetime    timestamptz,
    item        jsonb NOT NULL,
    href        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (collection, item_id),
    CONSTRAINT stac_items_bbox_ordered CHECK (bbox_west <= bbox_east AND bbox_south <= bbox_north)
);

-- list_items pages newest first on (created_at, collection, item_id), optionally filtered.
CREATE INDEX stac_items_created_idx ON stac_items (created_at DESC, collection DESC, item_id DESC);
CREATE INDEX stac_items_collection_created_idx
    ON stac_items (collection, created_at DESC, item_id DESC);
CREATE INDEX stac_items_job_idx ON stac_items (job_id) WHERE job_id IS NOT NULL;
