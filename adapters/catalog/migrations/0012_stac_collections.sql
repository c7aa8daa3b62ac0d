-- The STAC Collection documents of the collections dagmaster writes items into, one row per
-- collection: the document as stored next to the items, with its extent kept to the union
-- of the collection's indexed items (recomputed whenever a writer registers an item).
CREATE TABLE stac_collections (
    collection  text PRIMARY KEY CHECK (collection <> ''),
    document    jsonb NOT NULL,
    href        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
