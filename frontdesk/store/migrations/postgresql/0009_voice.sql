-- Voice (docs/voice.md): whether an agent also speaks its answers: 'off', 'spoken' (when the
-- customer sent a recording) or 'always'.
ALTER TABLE agents ADD COLUMN voice_replies TEXT NOT NULL DEFAULT 'off';
