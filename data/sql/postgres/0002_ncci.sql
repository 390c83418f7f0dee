-- 0002 (PostgreSQL twin of sql/sqlite/0002_ncci.sql): the NCCI edit tables imported from the official CMS files (psyclaim import ncci-ptp|ncci-mue|
-- ncci-aoc). When a table is empty the coding engine uses its built-in set (data/ncci/).
-- Dates are YYYY-MM-DD; '' when the file does not give one; a deletion date of 9999-12-31 means the
-- edit is in force.

-- Procedure-to-procedure pairs: on one date, for one provider and patient, column2 is denied when
-- column1 is billed. modifier_indicator 0: never together; 1: allowed with a distinct-service
-- modifier when the services were separate; 9: not applicable (no edit).
CREATE TABLE ncci_ptp (
  column1            TEXT NOT NULL,
  column2            TEXT NOT NULL,
  effective          TEXT NOT NULL DEFAULT '',
  deleted            TEXT NOT NULL DEFAULT '9999-12-31',
  modifier_indicator INTEGER NOT NULL CHECK (modifier_indicator IN (0, 1, 9)),
  rationale          TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (column1, column2, deleted)
);
CREATE INDEX ncci_ptp_column2 ON ncci_ptp (column2);

-- Medically unlikely edits: the most units of a code one provider reports for one patient. mai (MUE
-- adjudication indicator) 1: per claim line; 2: per date, policy limit (no appeal); 3: per date,
-- clinical limit (payable on appeal with records).
CREATE TABLE ncci_mue (
  code      TEXT PRIMARY KEY,
  units     INTEGER NOT NULL CHECK (units >= 0),
  mai       INTEGER NOT NULL CHECK (mai IN (1, 2, 3)),
  rationale TEXT NOT NULL DEFAULT '',
  effective TEXT NOT NULL DEFAULT ''
);

-- Add-on code edits: edit_type 1: the add-on is paid only with one of its listed primaries; 2: no list
-- (primary_code 'CCCCC'), the contractor decides; 3: some primaries listed, others may be accepted.
CREATE TABLE ncci_aoc (
  addon        TEXT NOT NULL,
  primary_code TEXT NOT NULL,
  edit_type    INTEGER NOT NULL CHECK (edit_type IN (1, 2, 3)),
  effective    TEXT NOT NULL DEFAULT '',
  deleted      TEXT NOT NULL DEFAULT '9999-12-31',
  PRIMARY KEY (addon, primary_code)
);

-- One row per imported file: which release the tables hold.
CREATE TABLE ncci_release (
  kind        TEXT NOT NULL CHECK (kind IN ('ptp', 'mue', 'aoc')),
  file        TEXT NOT NULL,
  effective   TEXT NOT NULL DEFAULT '',
  row_count   INTEGER NOT NULL,
  imported_at TEXT NOT NULL,
  PRIMARY KEY (kind, file)
);
