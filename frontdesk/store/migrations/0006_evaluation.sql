-- Evaluation runs, kept so runs can be compared over time, and customers' feedback on a
-- conversation ("did this help?"), which splits resolutions into confirmed and assumed.
CREATE TABLE eval_runs (
    id          INTEGER PRIMARY KEY,
    agent_id    INTEGER NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    model       TEXT NOT NULL,
    label       TEXT NOT NULL DEFAULT '',
    cases_file  TEXT NOT NULL,
    cases_hash  TEXT NOT NULL,
    passed      INTEGER NOT NULL,
    total       INTEGER NOT NULL,
    report      TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX eval_runs_agent ON eval_runs (agent_id, id);

ALTER TABLE conversations ADD COLUMN feedback TEXT;
ALTER TABLE conversations ADD COLUMN feedback_at TEXT
