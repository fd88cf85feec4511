-- What serving on the web needs: API keys (only their SHA-256 is kept), console users
-- and their sessions, the web origins allowed to embed an agent's chat, and the state of
-- a conversation's human handoff ("bot" answers; "waiting" asks for a person; "human":
-- a person owns it and the agent stays silent).
ALTER TABLE agents ADD COLUMN allowed_origins TEXT NOT NULL DEFAULT '[]';

CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY,
    prefix       TEXT NOT NULL UNIQUE,
    hash         TEXT NOT NULL,
    agent_id     INTEGER REFERENCES agents(id) ON DELETE CASCADE,
    label        TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL
);

CREATE TABLE sessions (
    hash       TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
) WITHOUT ROWID;

ALTER TABLE conversations ADD COLUMN status TEXT NOT NULL DEFAULT 'bot';
ALTER TABLE conversations ADD COLUMN owner TEXT;
ALTER TABLE conversations ADD COLUMN secret_hash TEXT;
CREATE INDEX conversations_lookup ON conversations (agent_id, channel, external_id);
CREATE INDEX conversations_status ON conversations (status, updated_at);
