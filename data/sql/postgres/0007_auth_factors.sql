-- 0007 (PostgreSQL twin of sql/sqlite/0007_auth_factors.sql): sign-in throttling per (practice, user
-- name) and per address, TOTP second factors, and the practice's two-factor rule.

-- Failures are counted per account: the practice (0 when no practice has the user name) and the user
-- name; and per address. `kind` is 'password' (wrong user name or password) or 'code' (right password,
-- wrong second-factor code).
ALTER TABLE login_failure ADD COLUMN practice_id BIGINT NOT NULL DEFAULT 0;
ALTER TABLE login_failure ADD COLUMN kind TEXT NOT NULL DEFAULT 'password'
  CHECK (kind IN ('password', 'code'));
CREATE INDEX login_failure_account ON login_failure (practice_id, username, at);

-- A user's TOTP secret (RFC 6238, HMAC-SHA1, 30-second steps, 6 digits): 20 random bytes as hex.
-- It is never written to a log and never shown again after enrolment. `confirmed_at` is NULL until the
-- user has typed a first good code; only a confirmed secret is asked for at sign-in. `last_step` is
-- the time step of the last code accepted, so the same code is never taken twice.
CREATE TABLE user_totp (
  user_id       BIGINT PRIMARY KEY REFERENCES app_user (id) ON DELETE CASCADE,
  secret        TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  confirmed_at  TEXT,
  last_step     BIGINT NOT NULL DEFAULT 0
);

-- Per-practice sign-in rules: require_totp = 1 makes every user of the practice enrol a second factor
-- at their next sign-in. No row = not required.
CREATE TABLE practice_security (
  practice_id   BIGINT PRIMARY KEY,
  require_totp  INTEGER NOT NULL DEFAULT 0 CHECK (require_totp IN (0, 1)),
  updated_at    TEXT NOT NULL
);

-- A session begun while the practice required a second factor the user had not set up: it may only
-- enrol one (the rule applies from each user's next sign-in).
ALTER TABLE web_session ADD COLUMN must_enrol INTEGER NOT NULL DEFAULT 0;
