-- Messaging channels (WhatsApp, Messenger, Instagram). No secret is kept here: app secret,
-- verify token and access tokens come from the environment or the secrets file.
--
-- channel_events holds every inbound message and event once: UNIQUE (platform, event_key)
-- is what makes Meta's retried deliveries harmless, also across a restart.
-- channel_outbox holds every request frontdesk makes to the Graph API to reply; its unique
-- key (the event it answers and the part of the reply) is what stops a reply going out twice.
CREATE TABLE channels (
    id              INTEGER PRIMARY KEY,
    agent_id        INTEGER NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    platform        TEXT NOT NULL,
    account_id      TEXT NOT NULL,
    catalog_id      TEXT,
    handover_app_id TEXT,
    label           TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    UNIQUE (platform, account_id)
);

CREATE TABLE channel_events (
    id              INTEGER PRIMARY KEY,
    channel_id      INTEGER REFERENCES channels(id) ON DELETE CASCADE,
    platform        TEXT NOT NULL,
    event_key       TEXT NOT NULL,
    kind            TEXT NOT NULL,
    sender          TEXT,
    thread          TEXT NOT NULL,
    payload         TEXT NOT NULL,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    error           TEXT,
    conversation_id INTEGER REFERENCES conversations(id) ON DELETE SET NULL,
    sent_at         TEXT,
    received_at     TEXT NOT NULL,
    not_before      TEXT,
    done_at         TEXT,
    UNIQUE (platform, event_key)
);
CREATE INDEX channel_events_state ON channel_events (state, id);
CREATE INDEX channel_events_conversation ON channel_events (conversation_id, id);
CREATE INDEX channel_events_thread ON channel_events (thread, state);

CREATE TABLE channel_outbox (
    id                  INTEGER PRIMARY KEY,
    channel_id          INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    conversation_id     INTEGER REFERENCES conversations(id) ON DELETE SET NULL,
    key                 TEXT NOT NULL UNIQUE,
    kind                TEXT NOT NULL,
    path                TEXT NOT NULL,
    body                TEXT NOT NULL,
    state               TEXT NOT NULL,
    attempts            INTEGER NOT NULL DEFAULT 0,
    platform_message_id TEXT,
    delivery            TEXT,
    error               TEXT,
    created_at          TEXT NOT NULL,
    sent_at             TEXT
);
CREATE INDEX channel_outbox_state ON channel_outbox (state, id);
CREATE INDEX channel_outbox_message ON channel_outbox (platform_message_id);

CREATE TABLE channel_media (
    id         INTEGER PRIMARY KEY,
    event_id   INTEGER NOT NULL REFERENCES channel_events(id) ON DELETE CASCADE,
    media_id   TEXT NOT NULL,
    mime_type  TEXT NOT NULL DEFAULT '',
    sha256     TEXT NOT NULL,
    size       INTEGER NOT NULL,
    path       TEXT NOT NULL,
    created_at TEXT NOT NULL
);
