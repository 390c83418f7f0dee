-- 0016: eligibility and benefits. Each 271 answer (005010X279A1) that matched one of the practice's
-- policies, kept with that policy: what the front desk needs in columns (coverage status on the date
-- asked, visits allowed and left, prior authorisation), the whole answer as JSON (benefits, plain-word
-- rejections). An answer is known by the BLAKE2b hash of its content without control numbers, so
-- reading the same file again adds nothing.
CREATE TABLE eligibility_check (
  id              INTEGER PRIMARY KEY,
  practice_id     INTEGER NOT NULL REFERENCES practice (id),
  client_id       INTEGER NOT NULL REFERENCES client (id),
  policy_id       INTEGER NOT NULL REFERENCES policy (id),
  as_of           TEXT NOT NULL,            -- YYYY-MM-DD, the date the answer is for
  status          TEXT NOT NULL CHECK (status IN ('active', 'inactive', 'rejected', 'unknown')),
  coverage_begin  TEXT NOT NULL DEFAULT '', -- YYYY-MM-DD when the payer gave it
  coverage_end    TEXT NOT NULL DEFAULT '',
  visits_allowed  INTEGER NOT NULL DEFAULT -1, -- -1: not stated
  visits_left     INTEGER NOT NULL DEFAULT -1,
  auth_required   INTEGER NOT NULL DEFAULT -1, -- 1 yes, 0 no, -1 not stated
  trace           TEXT NOT NULL DEFAULT '',
  answer          TEXT NOT NULL,            -- the answer as JSON
  content_hash    TEXT NOT NULL,
  file_name       TEXT NOT NULL DEFAULT '',
  received_at     TEXT NOT NULL,
  UNIQUE (practice_id, content_hash)
);
CREATE INDEX eligibility_check_policy ON eligibility_check (practice_id, policy_id, as_of);
CREATE INDEX eligibility_check_client ON eligibility_check (practice_id, client_id, as_of);
