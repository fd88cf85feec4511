-- Catalog option values (and brands) of products, indexed for structured search:
-- "size M", "blue", "cotton" find their products without scanning JSON.
CREATE TABLE item_options (
    agent_id  INTEGER NOT NULL,
    item_id   INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    facet     TEXT NOT NULL,
    value     TEXT NOT NULL
);
CREATE INDEX item_options_lookup ON item_options (agent_id, facet, value);
CREATE INDEX item_options_item ON item_options (item_id);
INSERT INTO item_options (agent_id, item_id, facet, value)
    SELECT items.agent_id, items.id, j.key, lower(j.value)
    FROM items, json_each(items.fields, '$.options') AS j WHERE items.kind = 'product' AND j.type = 'text';
INSERT INTO item_options (agent_id, item_id, facet, value)
    SELECT agent_id, id, 'brand', lower(json_extract(fields, '$.brand'))
    FROM items WHERE kind = 'product' AND json_extract(fields, '$.brand') IS NOT NULL
