-- Characters on messaging channels and in the privacy sweep (docs/characters.md).
-- A channel answers as an agent or as a character: agent_id or character_id, exactly one.
-- A character channel's events and sends name the character conversation they belong to, so
-- erasing that conversation takes them along. retention_days: how long a free character keeps
-- its conversations (NULL: a grounded character follows its agent; a free one keeps them).
ALTER TABLE characters ADD COLUMN retention_days INTEGER;
ALTER TABLE channels ALTER COLUMN agent_id DROP NOT NULL;
ALTER TABLE channels ADD COLUMN character_id BIGINT REFERENCES characters(id) ON DELETE CASCADE;
ALTER TABLE channels ADD CONSTRAINT channels_one_owner CHECK ((agent_id IS NULL) <> (character_id IS NULL));
ALTER TABLE channel_events ADD COLUMN character_conversation_id BIGINT
    REFERENCES character_conversations(id) ON DELETE CASCADE;
ALTER TABLE channel_outbox ADD COLUMN character_conversation_id BIGINT
    REFERENCES character_conversations(id) ON DELETE CASCADE;
CREATE INDEX channel_events_character_conversation ON channel_events (character_conversation_id);
CREATE INDEX channel_outbox_character_conversation ON channel_outbox (character_conversation_id)
