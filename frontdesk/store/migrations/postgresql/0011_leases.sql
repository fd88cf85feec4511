-- Several processes on one database: a claimed channel event or send belongs to its worker
-- until lease_until (renewed while it works; claimable again when its process died), and a
-- source is synced by one worker at a time.
ALTER TABLE channel_events ADD COLUMN claimed_by TEXT;
ALTER TABLE channel_events ADD COLUMN lease_until TEXT;
ALTER TABLE channel_outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE channel_outbox ADD COLUMN lease_until TEXT;
ALTER TABLE sources ADD COLUMN sync_worker TEXT;
ALTER TABLE sources ADD COLUMN sync_lease_until TEXT
