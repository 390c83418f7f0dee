-- 0001: the code catalog (PostgreSQL twin of sql/sqlite/0001_catalog.sql: same tables, columns and
-- constraints). Code and system columns compare bytewise (COLLATE "C"), as SQLite does, so sorting and
-- look-ups do not depend on the database's locale.
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- One row per code of one system. `code` is the display form (ICD-10-CM with its dot).
-- `source` is 'builtin' for the project's own data, 'import' for an official file a user imported.
CREATE TABLE code (
  system      TEXT COLLATE "C" NOT NULL,
  code        TEXT COLLATE "C" NOT NULL,
  short_title TEXT NOT NULL,
  long_title  TEXT NOT NULL,
  billable    INTEGER NOT NULL CHECK (billable IN (0, 1)),
  addon       INTEGER NOT NULL DEFAULT 0 CHECK (addon IN (0, 1)),
  effective   TEXT COLLATE "C",
  terminated  TEXT COLLATE "C",
  synonyms    TEXT NOT NULL DEFAULT '',
  source      TEXT NOT NULL CHECK (source IN ('builtin', 'import')),
  PRIMARY KEY (system, code)
);

CREATE TABLE code_link (
  system        TEXT COLLATE "C" NOT NULL,
  code          TEXT COLLATE "C" NOT NULL,
  kind          TEXT COLLATE "C" NOT NULL CHECK (kind IN ('similar', 'addon', 'primary', 'instead')),
  target_system TEXT COLLATE "C" NOT NULL,
  target_code   TEXT COLLATE "C" NOT NULL,
  note          TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (system, code, kind, target_system, target_code)
);

-- Explainer pages, one JSON document per code (docs/data-format.md).
CREATE TABLE code_page (
  system TEXT COLLATE "C" NOT NULL,
  code   TEXT COLLATE "C" NOT NULL,
  body   TEXT NOT NULL,
  PRIMARY KEY (system, code)
);
