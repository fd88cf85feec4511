-- AI characters (docs/characters.md): the whole Character Card as imported or edited (JSON, so
-- unknown fields and extensions survive a round trip), the avatar image, embedded assets of a
-- CHARX, the agent whose knowledge grounds it (none: a free character), the owner's content
-- rating, whether its public web chat answers (like agents, only when the owner says so); and the character's conversations, kept apart from the agents' conversations. A
-- grounded character's factual turns also run in a conversation of its agent
-- (agent_conversation_id), so follow-up questions resolve as they do for the agent.
CREATE TABLE characters (
    id                 INTEGER PRIMARY KEY,
    handle             TEXT NOT NULL UNIQUE,
    card               TEXT NOT NULL,
    avatar             BLOB,
    knowledge_agent_id INTEGER REFERENCES agents(id) ON DELETE SET NULL,
    rating             TEXT NOT NULL DEFAULT 'general',
    public             INTEGER NOT NULL DEFAULT 0,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);

CREATE TABLE character_assets (
    character_id INTEGER NOT NULL REFERENCES characters(id) ON DELETE CASCADE,
    path         TEXT NOT NULL,
    data         BLOB NOT NULL,
    PRIMARY KEY (character_id, path)
);

CREATE TABLE character_conversations (
    id                    INTEGER PRIMARY KEY,
    character_id          INTEGER NOT NULL REFERENCES characters(id) ON DELETE CASCADE,
    channel               TEXT NOT NULL DEFAULT 'cli',
    external_id           TEXT,
    secret_hash           TEXT,
    agent_conversation_id INTEGER REFERENCES conversations(id) ON DELETE SET NULL,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL
);
CREATE INDEX character_conversations_lookup ON character_conversations (character_id, channel, external_id);

CREATE TABLE character_messages (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES character_conversations(id) ON DELETE CASCADE,
    role            TEXT NOT NULL,
    text            TEXT NOT NULL,
    payload         TEXT NOT NULL DEFAULT '{}',
    created_at      TEXT NOT NULL
);
CREATE INDEX character_messages_conversation ON character_messages (conversation_id, id)
