-- 0009 (PostgreSQL twin of sql/sqlite/0009_records_fields.sql): the record fields a practice enters
-- from its first day (docs/records.md): a clinician's
-- licence and supervisor, a payer's profile, address and timely-filing limit, a client's email,
-- emergency contact and discharge date, and a treatment plan's problems, objectives and interventions.
-- Added columns have defaults, so rows written before keep their meaning.

ALTER TABLE clinician ADD COLUMN licence_number TEXT NOT NULL DEFAULT '';
ALTER TABLE clinician ADD COLUMN licence_state TEXT NOT NULL DEFAULT '' CHECK (length(licence_state) IN (0, 2));
ALTER TABLE clinician ADD COLUMN supervisor_id INTEGER;

ALTER TABLE payer ADD COLUMN profile TEXT NOT NULL DEFAULT '';
ALTER TABLE payer ADD COLUMN address TEXT NOT NULL DEFAULT '';
ALTER TABLE payer ADD COLUMN city TEXT NOT NULL DEFAULT '';
ALTER TABLE payer ADD COLUMN state TEXT NOT NULL DEFAULT '' CHECK (length(state) IN (0, 2));
ALTER TABLE payer ADD COLUMN zip TEXT NOT NULL DEFAULT '' CHECK (length(zip) IN (0, 5, 9));
ALTER TABLE payer ADD COLUMN timely_filing_days INTEGER NOT NULL DEFAULT 0 CHECK (timely_filing_days BETWEEN 0 AND 3650);

ALTER TABLE client ADD COLUMN email TEXT NOT NULL DEFAULT '';
ALTER TABLE client ADD COLUMN emergency_name TEXT NOT NULL DEFAULT '';
ALTER TABLE client ADD COLUMN emergency_phone TEXT NOT NULL DEFAULT '';
ALTER TABLE client ADD COLUMN emergency_relation TEXT NOT NULL DEFAULT '';
ALTER TABLE client ADD COLUMN discharge_date TEXT CHECK (discharge_date IS NULL OR discharge_date LIKE '____-__-__');

-- A plan's problems, objectives and interventions, each a numbered list like plan_goal.
CREATE TABLE plan_problem (
  practice_id INTEGER NOT NULL,
  plan_id     INTEGER NOT NULL,
  position    INTEGER NOT NULL CHECK (position BETWEEN 1 AND 20),
  text        TEXT NOT NULL CHECK (length(text) >= 1),
  PRIMARY KEY (plan_id, position),
  FOREIGN KEY (practice_id, plan_id) REFERENCES treatment_plan (practice_id, id)
);

CREATE TABLE plan_objective (
  practice_id INTEGER NOT NULL,
  plan_id     INTEGER NOT NULL,
  position    INTEGER NOT NULL CHECK (position BETWEEN 1 AND 20),
  text        TEXT NOT NULL CHECK (length(text) >= 1),
  PRIMARY KEY (plan_id, position),
  FOREIGN KEY (practice_id, plan_id) REFERENCES treatment_plan (practice_id, id)
);

CREATE TABLE plan_intervention (
  practice_id INTEGER NOT NULL,
  plan_id     INTEGER NOT NULL,
  position    INTEGER NOT NULL CHECK (position BETWEEN 1 AND 20),
  text        TEXT NOT NULL CHECK (length(text) >= 1),
  PRIMARY KEY (plan_id, position),
  FOREIGN KEY (practice_id, plan_id) REFERENCES treatment_plan (practice_id, id)
);

-- Duplicate detection on import and entry: the same person is the same name and birth date.
CREATE INDEX client_by_name_birth ON client (practice_id, last_name, first_name, birth_date);
