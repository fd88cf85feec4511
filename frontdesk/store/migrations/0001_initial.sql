-- Agents, their sources, the items read from them, and an embedding cache keyed by
-- content hash (so unchanged text is never embedded twice, and an interrupted ingest
-- keeps the vectors it already computed).
CREATE TABLE agents (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    persona       TEXT NOT NULL DEFAULT '',
    instructions  TEXT NOT NULL DEFAULT '',
    embedder      TEXT NOT NULL,
    revision      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL
);

CREATE TABLE sources (
    id             INTEGER PRIMARY KEY,
    agent_id       INTEGER NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    kind           TEXT NOT NULL,
    location       TEXT NOT NULL,
    options        TEXT NOT NULL DEFAULT '{}',
    sync_interval  INTEGER,
    created_at     TEXT NOT NULL,
    last_synced_at TEXT,
    last_status    TEXT,
    last_summary   TEXT NOT NULL DEFAULT '{}',
    last_errors    TEXT NOT NULL DEFAULT '[]',
    UNIQUE (agent_id, location)
);

CREATE TABLE items (
    id           INTEGER PRIMARY KEY,
    agent_id     INTEGER NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    source_id    INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    key          TEXT NOT NULL,
    kind         TEXT NOT NULL,
    title        TEXT NOT NULL,
    text         TEXT NOT NULL,
    url          TEXT,
    language     TEXT,
    fields       TEXT NOT NULL DEFAULT '{}',
    hash         TEXT NOT NULL,
    embed_hash   TEXT NOT NULL,
    price        REAL,
    availability TEXT,
    first_seen   TEXT NOT NULL,
    last_seen    TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    UNIQUE (source_id, key)
);
CREATE INDEX items_agent ON items (agent_id, kind);
CREATE INDEX items_embed_hash ON items (embed_hash);

CREATE TABLE embeddings (
    embedder  TEXT NOT NULL,
    hash      TEXT NOT NULL,
    vector    BLOB NOT NULL,
    PRIMARY KEY (embedder, hash)
) WITHOUT ROWID;
