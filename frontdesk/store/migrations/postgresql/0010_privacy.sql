-- Privacy (issue 18 item 6): how long an agent keeps conversations (NULL keeps them), and the
-- name a console user's replies show the customer (empty: "a team member"), not their login.
ALTER TABLE agents ADD COLUMN retention_days INTEGER;
ALTER TABLE users ADD COLUMN display_name TEXT NOT NULL DEFAULT '';
