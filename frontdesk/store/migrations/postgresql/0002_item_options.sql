CREATE TABLE item_options (
    agent_id  BIGINT NOT NULL,
    item_id   BIGINT NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    facet     TEXT NOT NULL,
    value     TEXT NOT NULL
);
CREATE INDEX item_options_lookup ON item_options (agent_id, facet, value);
CREATE INDEX item_options_item ON item_options (item_id)
