-- An agent's public web chat answers only when its owner made the agent public (issue 18).
-- Agents that already had an allowed web origin were embedded on purpose: they stay public.
ALTER TABLE agents ADD COLUMN public INTEGER NOT NULL DEFAULT 0;
UPDATE agents SET public = 1 WHERE allowed_origins != '[]';
