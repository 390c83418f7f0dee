-- 0004: who may sign in to the web app, their sessions, failed sign-ins, and the audit trail.
-- Times that are compared (sessions, failures) are Unix seconds; times people read are UTC text
-- 'YYYY-MM-DDTHH:MM:SSZ'.

-- A person who signs in. `username` is stored in lower case and unique within a practice.
-- `clinician_id` is the clinician row (practice records) a clinician user acts as; NULL for the others.
CREATE TABLE app_user (
  id            INTEGER PRIMARY KEY,
  practice_id   INTEGER NOT NULL,
  username      TEXT NOT NULL,
  role          TEXT NOT NULL CHECK (role IN ('admin', 'clinician', 'biller')),
  clinician_id  INTEGER,
  password_hash TEXT NOT NULL,
  active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  created_at    TEXT NOT NULL,
  UNIQUE (practice_id, username)
);
CREATE INDEX app_user_username ON app_user (username);

-- A signed-in browser. Only a hash of the session token is kept, so a copy of the database cannot be
-- used to take over a session. The CSRF token is sent back in the X-CSRF-Token header on every change.
CREATE TABLE web_session (
  id          INTEGER PRIMARY KEY,
  token_hash  TEXT NOT NULL UNIQUE,
  user_id     INTEGER NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
  csrf_token  TEXT NOT NULL,
  ip          TEXT NOT NULL DEFAULT '',
  created_at  INTEGER NOT NULL,
  last_seen   INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL
);
CREATE INDEX web_session_user ON web_session (user_id);

-- Failed sign-ins of the last minutes, for rate limiting by user name and by address.
CREATE TABLE login_failure (
  id        INTEGER PRIMARY KEY,
  username  TEXT NOT NULL,
  ip        TEXT NOT NULL,
  at        INTEGER NOT NULL
);
CREATE INDEX login_failure_username ON login_failure (username, at);
CREATE INDEX login_failure_ip ON login_failure (ip, at);

-- The audit trail: who did what to which record, when and from where. Rows are only ever added.
-- `practice_id` and `user_id` are NULL only for failed sign-ins under a user name nobody has.
CREATE TABLE audit_event (
  id           INTEGER PRIMARY KEY,
  practice_id  INTEGER,
  at           TEXT NOT NULL,
  user_id      INTEGER,
  username     TEXT NOT NULL DEFAULT '',
  action       TEXT NOT NULL,
  record_type  TEXT NOT NULL DEFAULT '',
  record_id    TEXT NOT NULL DEFAULT '',
  ip           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_event_practice ON audit_event (practice_id, id);

CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
BEGIN
  SELECT RAISE(ABORT, 'audit_event is append-only');
END;

CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
BEGIN
  SELECT RAISE(ABORT, 'audit_event is append-only');
END;
