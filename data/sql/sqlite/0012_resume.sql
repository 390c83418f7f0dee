-- 0012: a claims build that can be interrupted and run again, and a group's second distinct session
-- on one date. `claim.scrubbed_at` is when the scrubber last checked the claim ('' = never since its
-- lines last changed): a build scrubs what a chunk built in that chunk's transaction, and a rerun
-- scrubs every draft still at ''. Claims past draft were scrubbed on their way to ready.

ALTER TABLE claim ADD COLUMN scrubbed_at TEXT NOT NULL DEFAULT '';
UPDATE claim SET scrubbed_at = created_at WHERE status <> 'draft';
CREATE INDEX claim_unscrubbed ON claim (practice_id) WHERE scrubbed_at = '';

-- A group's second session on one date: only when marked as a distinct session with its own start and
-- stop times, which overlap no other session of that group that day (psy_records_session_add).
ALTER TABLE session ADD COLUMN distinct_session INTEGER NOT NULL DEFAULT 0;
