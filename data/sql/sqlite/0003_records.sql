-- 0003: practice records -- practices, clinicians, clients and their diagnoses, payers, insurance
-- policies, prior authorisations, treatment plans, groups and their rosters, sessions, attendance,
-- notes with addenda, and the change history of every mutable record.
--
-- Conventions (see docs/records.md):
-- * every table but practice carries practice_id; references go through (practice_id, id) pairs so a
--   row can never point into another practice;
-- * dates are 'YYYY-MM-DD' text (the practice's local calendar date); instants are UTC ISO-8601 text
--   'YYYY-MM-DDTHH:MM:SSZ'; the practice's time zone is kept for display;
-- * money is integer cents; flags are 0/1 integers; enumerations are CHECKed text;
-- * mutable rows carry `version`, incremented by every update (optimistic concurrency);
-- * only INTEGER and TEXT columns, standard CHECK/UNIQUE/FOREIGN KEY clauses and partial indexes, so the
--   PostgreSQL migration is the same text with identity columns.

CREATE TABLE practice (
  id                 INTEGER PRIMARY KEY,
  name               TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
  npi                TEXT NOT NULL CHECK (length(npi) = 10),
  tax_id             TEXT NOT NULL CHECK (length(tax_id) = 9),
  address            TEXT NOT NULL DEFAULT '',
  city               TEXT NOT NULL DEFAULT '',
  state              TEXT NOT NULL DEFAULT '' CHECK (length(state) IN (0, 2)),
  zip                TEXT NOT NULL DEFAULT '' CHECK (length(zip) IN (0, 5, 9)),
  time_zone          TEXT NOT NULL DEFAULT 'UTC',
  unsigned_note_days INTEGER NOT NULL DEFAULT 7 CHECK (unsigned_note_days BETWEEN 1 AND 365),
  created_at         TEXT NOT NULL,
  updated_at         TEXT NOT NULL,
  version            INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1)
);

CREATE TABLE clinician (
  id          INTEGER PRIMARY KEY,
  practice_id INTEGER NOT NULL REFERENCES practice (id),
  first_name  TEXT NOT NULL CHECK (length(first_name) >= 1),
  last_name   TEXT NOT NULL CHECK (length(last_name) >= 1),
  npi         TEXT NOT NULL CHECK (length(npi) = 10),
  taxonomy    TEXT NOT NULL CHECK (length(taxonomy) = 10),
  credential  TEXT NOT NULL CHECK (length(credential) >= 1),
  active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  version     INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
  UNIQUE (practice_id, id),
  UNIQUE (practice_id, npi)
);

CREATE TABLE client (
  id                      INTEGER PRIMARY KEY,
  practice_id             INTEGER NOT NULL REFERENCES practice (id),
  first_name              TEXT NOT NULL CHECK (length(first_name) >= 1),
  last_name               TEXT NOT NULL CHECK (length(last_name) >= 1),
  birth_date              TEXT NOT NULL CHECK (birth_date LIKE '____-__-__'),
  sex                     TEXT NOT NULL CHECK (sex IN ('F', 'M', 'U')),
  address                 TEXT NOT NULL DEFAULT '',
  city                    TEXT NOT NULL DEFAULT '',
  state                   TEXT NOT NULL DEFAULT '' CHECK (length(state) IN (0, 2)),
  zip                     TEXT NOT NULL DEFAULT '' CHECK (length(zip) IN (0, 5, 9)),
  phone                   TEXT NOT NULL DEFAULT '',
  telehealth_consent_date TEXT CHECK (telehealth_consent_date IS NULL OR telehealth_consent_date LIKE '____-__-__'),
  active                  INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  created_at              TEXT NOT NULL,
  updated_at              TEXT NOT NULL,
  version                 INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
  UNIQUE (practice_id, id)
);

-- A client's diagnoses in pointer order (1 = primary); billable ICD-10-CM leaf codes.
CREATE TABLE client_diagnosis (
  practice_id INTEGER NOT NULL,
  client_id   INTEGER NOT NULL,
  position    INTEGER NOT NULL CHECK (position BETWEEN 1 AND 12),
  code        TEXT NOT NULL CHECK (length(code) BETWEEN 3 AND 8),
  PRIMARY KEY (client_id, position),
  UNIQUE (client_id, code),
  FOREIGN KEY (practice_id, client_id) REFERENCES client (practice_id, id)
);

CREATE TABLE payer (
  id            INTEGER PRIMARY KEY,
  practice_id   INTEGER NOT NULL REFERENCES practice (id),
  name          TEXT NOT NULL CHECK (length(name) >= 1),
  payer_code    TEXT NOT NULL CHECK (length(payer_code) BETWEEN 2 AND 80),
  kind          TEXT NOT NULL CHECK (kind IN ('medicare', 'medicaid', 'commercial', 'other')),
  group_max     INTEGER NOT NULL DEFAULT 0 CHECK (group_max = 0 OR group_max BETWEEN 2 AND 100),
  requires_auth INTEGER NOT NULL DEFAULT 0 CHECK (requires_auth IN (0, 1)),
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL,
  version       INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
  UNIQUE (practice_id, id),
  UNIQUE (practice_id, payer_code)
);

CREATE TABLE policy (
  id                 INTEGER PRIMARY KEY,
  practice_id        INTEGER NOT NULL,
  client_id          INTEGER NOT NULL,
  payer_id           INTEGER NOT NULL,
  member_id          TEXT NOT NULL CHECK (length(member_id) BETWEEN 1 AND 30),
  group_number       TEXT NOT NULL DEFAULT '',
  priority           INTEGER NOT NULL CHECK (priority BETWEEN 1 AND 3),
  relation           TEXT NOT NULL CHECK (relation IN ('self', 'spouse', 'child', 'other')),
  subscriber_first   TEXT NOT NULL DEFAULT '',
  subscriber_last    TEXT NOT NULL DEFAULT '',
  subscriber_birth   TEXT CHECK (subscriber_birth IS NULL OR subscriber_birth LIKE '____-__-__'),
  copay_cents        INTEGER NOT NULL DEFAULT 0 CHECK (copay_cents >= 0),
  start_date         TEXT NOT NULL CHECK (start_date LIKE '____-__-__'),
  end_date           TEXT CHECK (end_date IS NULL OR end_date >= start_date),
  created_at         TEXT NOT NULL,
  updated_at         TEXT NOT NULL,
  version            INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
  UNIQUE (practice_id, id),
  FOREIGN KEY (practice_id, client_id) REFERENCES client (practice_id, id),
  FOREIGN KEY (practice_id, payer_id) REFERENCES payer (practice_id, id),
  CHECK (relation = 'self' OR (length(subscriber_first) >= 1 AND length(subscriber_last) >= 1))
);

-- Prior authorisations: units or visits approved for some codes over a date range. units_prior are
-- units consumed before the first session recorded here; later use is counted from the sessions.
CREATE TABLE authorisation (
  id             INTEGER PRIMARY KEY,
  practice_id    INTEGER NOT NULL,
  client_id      INTEGER NOT NULL,
  payer_id       INTEGER NOT NULL,
  number         TEXT NOT NULL CHECK (length(number) BETWEEN 1 AND 50),
  unit_kind      TEXT NOT NULL CHECK (unit_kind IN ('unit', 'visit')),
  units_approved INTEGER NOT NULL CHECK (units_approved >= 1),
  units_prior    INTEGER NOT NULL DEFAULT 0 CHECK (units_prior >= 0 AND units_prior <= units_approved),
  start_date     TEXT NOT NULL CHECK (start_date LIKE '____-__-__'),
  end_date       TEXT NOT NULL CHECK (end_date >= start_date),
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL,
  version        INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
  UNIQUE (practice_id, id),
  FOREIGN KEY (practice_id, client_id) REFERENCES client (practice_id, id),
  FOREIGN KEY (practice_id, payer_id) REFERENCES payer (practice_id, id)
);

CREATE TABLE authorisation_code (
  practice_id      INTEGER NOT NULL,
  authorisation_id INTEGER NOT NULL,
  code             TEXT NOT NULL CHECK (length(code) = 5),
  PRIMARY KEY (authorisation_id, code),
  FOREIGN KEY (practice_id, authorisation_id) REFERENCES authorisation (practice_id, id)
);

-- Treatment plans. A plan covers one or more modalities; it is in force from start_date to end_date
-- (open when NULL) once the clinician has signed it, and is due for review on review_date.
CREATE TABLE treatment_plan (
  id                   INTEGER PRIMARY KEY,
  practice_id          INTEGER NOT NULL,
  client_id            INTEGER NOT NULL,
  clinician_id         INTEGER NOT NULL,
  covers_individual    INTEGER NOT NULL CHECK (covers_individual IN (0, 1)),
  covers_group         INTEGER NOT NULL CHECK (covers_group IN (0, 1)),
  covers_family        INTEGER NOT NULL CHECK (covers_family IN (0, 1)),
  frequency            TEXT NOT NULL CHECK (length(frequency) >= 1),
  session_minutes      INTEGER NOT NULL CHECK (session_minutes BETWEEN 1 AND 480),
  start_date           TEXT NOT NULL CHECK (start_date LIKE '____-__-__'),
  review_date          TEXT NOT NULL CHECK (review_date >= start_date),
  end_date             TEXT CHECK (end_date IS NULL OR end_date >= start_date),
  clinician_signed_at  TEXT,
  client_signed_at     TEXT,
  created_at           TEXT NOT NULL,
  updated_at           TEXT NOT NULL,
  version              INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
  UNIQUE (practice_id, id),
  FOREIGN KEY (practice_id, client_id) REFERENCES client (practice_id, id),
  FOREIGN KEY (practice_id, clinician_id) REFERENCES clinician (practice_id, id),
  CHECK (covers_individual + covers_group + covers_family >= 1)
);

CREATE TABLE plan_diagnosis (
  practice_id INTEGER NOT NULL,
  plan_id     INTEGER NOT NULL,
  position    INTEGER NOT NULL CHECK (position BETWEEN 1 AND 12),
  code        TEXT NOT NULL CHECK (length(code) BETWEEN 3 AND 8),
  PRIMARY KEY (plan_id, position),
  FOREIGN KEY (practice_id, plan_id) REFERENCES treatment_plan (practice_id, id)
);

CREATE TABLE plan_goal (
  practice_id INTEGER NOT NULL,
  plan_id     INTEGER NOT NULL,
  position    INTEGER NOT NULL CHECK (position BETWEEN 1 AND 10),
  text        TEXT NOT NULL CHECK (length(text) >= 1),
  PRIMARY KEY (plan_id, position),
  FOREIGN KEY (practice_id, plan_id) REFERENCES treatment_plan (practice_id, id)
);

CREATE TABLE therapy_group (
  id                INTEGER PRIMARY KEY,
  practice_id       INTEGER NOT NULL,
  name              TEXT NOT NULL CHECK (length(name) >= 1),
  clinician_id      INTEGER NOT NULL,
  co_clinician_id   INTEGER,
  modality          TEXT NOT NULL CHECK (modality IN ('group', 'multifamily')),
  telehealth        INTEGER NOT NULL CHECK (telehealth IN (0, 1)),
  capacity          INTEGER NOT NULL CHECK (capacity BETWEEN 2 AND 50),
  schedule          TEXT NOT NULL DEFAULT '',
  active            INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  created_at        TEXT NOT NULL,
  updated_at        TEXT NOT NULL,
  version           INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
  UNIQUE (practice_id, id),
  FOREIGN KEY (practice_id, clinician_id) REFERENCES clinician (practice_id, id),
  FOREIGN KEY (practice_id, co_clinician_id) REFERENCES clinician (practice_id, id),
  CHECK (co_clinician_id IS NULL OR co_clinician_id <> clinician_id)
);

CREATE TABLE group_member (
  practice_id INTEGER NOT NULL,
  group_id    INTEGER NOT NULL,
  client_id   INTEGER NOT NULL,
  joined_date TEXT NOT NULL CHECK (joined_date LIKE '____-__-__'),
  left_date   TEXT CHECK (left_date IS NULL OR left_date >= joined_date),
  PRIMARY KEY (group_id, client_id),
  FOREIGN KEY (practice_id, group_id) REFERENCES therapy_group (practice_id, id),
  FOREIGN KEY (practice_id, client_id) REFERENCES client (practice_id, id)
);

-- A session: individual-type kinds name the client; group kinds name the group. start/stop are UTC
-- instants; minutes is an explicit total when the note gives one instead (0 = none). billed_code is
-- the code the session was billed under, when known (group members carry theirs on attendance).
CREATE TABLE session (
  id               INTEGER PRIMARY KEY,
  practice_id      INTEGER NOT NULL,
  kind             TEXT NOT NULL CHECK (kind IN ('individual', 'family', 'intake', 'crisis', 'group', 'multifamily')),
  client_id        INTEGER,
  group_id         INTEGER,
  clinician_id     INTEGER NOT NULL,
  service_date     TEXT NOT NULL CHECK (service_date LIKE '____-__-__'),
  start_utc        TEXT CHECK (start_utc IS NULL OR start_utc LIKE '____-__-__T__:__:__Z'),
  stop_utc         TEXT CHECK (stop_utc IS NULL OR stop_utc LIKE '____-__-__T__:__:__Z'),
  minutes          INTEGER NOT NULL DEFAULT 0 CHECK (minutes BETWEEN 0 AND 720),
  place_of_service TEXT NOT NULL CHECK (length(place_of_service) = 2),
  telehealth       INTEGER NOT NULL DEFAULT 0 CHECK (telehealth IN (0, 1)),
  th_modality      TEXT CHECK (th_modality IS NULL OR th_modality IN ('video', 'audio')),
  patient_location TEXT CHECK (patient_location IS NULL OR patient_location IN ('home', 'other')),
  billed_code      TEXT CHECK (billed_code IS NULL OR length(billed_code) = 5),
  signed_at        TEXT,
  signed_by        INTEGER,
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL,
  version          INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
  UNIQUE (practice_id, id),
  FOREIGN KEY (practice_id, client_id) REFERENCES client (practice_id, id),
  FOREIGN KEY (practice_id, group_id) REFERENCES therapy_group (practice_id, id),
  FOREIGN KEY (practice_id, clinician_id) REFERENCES clinician (practice_id, id),
  CHECK ((kind IN ('group', 'multifamily')) = (group_id IS NOT NULL)),
  CHECK ((kind IN ('group', 'multifamily')) = (client_id IS NULL)),
  CHECK (start_utc IS NULL OR stop_utc IS NULL OR stop_utc > start_utc),
  CHECK (telehealth = 1 OR (th_modality IS NULL AND patient_location IS NULL))
);

-- One row per member of a group session: present or absent, minutes missed, and what was billed.
CREATE TABLE attendance (
  id            INTEGER PRIMARY KEY,
  practice_id   INTEGER NOT NULL,
  session_id    INTEGER NOT NULL,
  client_id     INTEGER NOT NULL,
  present       INTEGER NOT NULL CHECK (present IN (0, 1)),
  late_minutes  INTEGER NOT NULL DEFAULT 0 CHECK (late_minutes >= 0),
  early_minutes INTEGER NOT NULL DEFAULT 0 CHECK (early_minutes >= 0),
  billed_code   TEXT CHECK (billed_code IS NULL OR length(billed_code) = 5),
  policy_id     INTEGER,
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL,
  version       INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
  UNIQUE (practice_id, id),
  UNIQUE (session_id, client_id),
  FOREIGN KEY (practice_id, session_id) REFERENCES session (practice_id, id),
  FOREIGN KEY (practice_id, client_id) REFERENCES client (practice_id, id),
  FOREIGN KEY (practice_id, policy_id) REFERENCES policy (practice_id, id),
  CHECK (present = 1 OR (late_minutes = 0 AND early_minutes = 0))
);

-- Notes: kind 'group' is the group-level note of a group session (client_id NULL); 'member' is one
-- present member's note in a group session; 'individual' is the note of any other session. A signed
-- note never changes again (see the trigger below); corrections are addenda.
CREATE TABLE note (
  id            INTEGER PRIMARY KEY,
  practice_id   INTEGER NOT NULL,
  session_id    INTEGER NOT NULL,
  client_id     INTEGER,
  kind          TEXT NOT NULL CHECK (kind IN ('group', 'member', 'individual')),
  author_id     INTEGER NOT NULL,
  theme         TEXT NOT NULL DEFAULT '',
  techniques    TEXT NOT NULL DEFAULT '',
  dynamics      TEXT NOT NULL DEFAULT '',
  factors       TEXT NOT NULL DEFAULT '',
  participation TEXT NOT NULL DEFAULT '',
  response      TEXT NOT NULL DEFAULT '',
  progress      TEXT NOT NULL DEFAULT '',
  plan          TEXT NOT NULL DEFAULT '',
  status        TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'signed')),
  signed_at     TEXT,
  signed_by     INTEGER,
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL,
  version       INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
  UNIQUE (practice_id, id),
  FOREIGN KEY (practice_id, session_id) REFERENCES session (practice_id, id),
  FOREIGN KEY (practice_id, client_id) REFERENCES client (practice_id, id),
  FOREIGN KEY (practice_id, author_id) REFERENCES clinician (practice_id, id),
  FOREIGN KEY (practice_id, signed_by) REFERENCES clinician (practice_id, id),
  CHECK ((kind = 'group') = (client_id IS NULL)),
  CHECK ((status = 'signed') = (signed_at IS NOT NULL AND signed_by IS NOT NULL))
);

CREATE TABLE note_addendum (
  id          INTEGER PRIMARY KEY,
  practice_id INTEGER NOT NULL,
  note_id     INTEGER NOT NULL,
  author_id   INTEGER NOT NULL,
  text        TEXT NOT NULL CHECK (length(text) >= 1),
  created_at  TEXT NOT NULL,
  UNIQUE (practice_id, id),
  FOREIGN KEY (practice_id, note_id) REFERENCES note (practice_id, id),
  FOREIGN KEY (practice_id, author_id) REFERENCES clinician (practice_id, id)
);

-- Every change to a mutable record: the version it produced, what was done, who did it (a clinician
-- when known), and the previous values of the columns that changed, as a JSON object (NULL for
-- 'create'). The current row plus these entries rebuild every earlier version.
CREATE TABLE record_history (
  id          INTEGER PRIMARY KEY,
  practice_id INTEGER NOT NULL REFERENCES practice (id),
  record_type TEXT NOT NULL,
  record_id   INTEGER NOT NULL,
  version     INTEGER NOT NULL CHECK (version >= 1),
  action      TEXT NOT NULL CHECK (action IN ('create', 'update', 'sign', 'addendum', 'close')),
  actor_id    INTEGER,
  changed_at  TEXT NOT NULL,
  previous    TEXT
);

CREATE UNIQUE INDEX note_one_group_note ON note (session_id) WHERE client_id IS NULL;
CREATE UNIQUE INDEX note_one_per_member ON note (session_id, client_id) WHERE client_id IS NOT NULL;
CREATE INDEX session_by_date ON session (practice_id, service_date);
CREATE INDEX session_by_client ON session (client_id);
CREATE INDEX session_by_group ON session (group_id);
CREATE INDEX attendance_by_client ON attendance (client_id);
CREATE INDEX note_by_session ON note (session_id);
CREATE INDEX addendum_by_note ON note_addendum (note_id);
CREATE INDEX policy_by_client ON policy (client_id);
CREATE INDEX authorisation_by_client ON authorisation (client_id);
CREATE INDEX plan_by_client ON treatment_plan (client_id);
CREATE INDEX member_by_client ON group_member (client_id);
CREATE INDEX history_by_record ON record_history (record_type, record_id);

-- Defence in depth for the rule the library enforces: a signed note is frozen.
CREATE TRIGGER note_signed_is_frozen BEFORE UPDATE ON note
WHEN OLD.status = 'signed'
BEGIN
  SELECT RAISE(ABORT, 'note is signed');
END;
