-- 0005: claims built from signed sessions, their lines and lifecycle history, the control numbers of
-- the 837P files sent, and the 835 remittances posted against them (payments, adjustments, and the
-- items that matched no claim). Money is integer cents; times are UTC text 'YYYY-MM-DDTHH:MM:SSZ'.

-- One claim: one client, one payer, one date of service. `claim_number` is what CLM01 carries and an
-- 835 sends back in CLP01. `findings` is the scrubber's last verdict as a JSON array.
CREATE TABLE claim (
  id               INTEGER PRIMARY KEY,
  practice_id      INTEGER NOT NULL REFERENCES practice (id),
  claim_number     TEXT NOT NULL,
  client_id        INTEGER NOT NULL REFERENCES client (id),
  payer_id         INTEGER NOT NULL REFERENCES payer (id),
  policy_id        INTEGER NOT NULL REFERENCES policy (id),
  clinician_id     INTEGER NOT NULL REFERENCES clinician (id),
  service_date     TEXT NOT NULL,
  frequency        INTEGER NOT NULL DEFAULT 1 CHECK (frequency IN (1, 7, 8)),
  place_of_service TEXT NOT NULL DEFAULT '',
  prior_auth       TEXT NOT NULL DEFAULT '',
  payer_profile    TEXT NOT NULL DEFAULT 'default',
  status           TEXT NOT NULL DEFAULT 'draft',
  total_cents      INTEGER NOT NULL DEFAULT 0,
  paid_cents       INTEGER NOT NULL DEFAULT 0,
  patient_cents    INTEGER NOT NULL DEFAULT 0,
  findings         TEXT NOT NULL DEFAULT '[]',
  created_at       TEXT NOT NULL,
  version          INTEGER NOT NULL DEFAULT 1,
  UNIQUE (practice_id, claim_number)
);
CREATE INDEX claim_key ON claim (practice_id, client_id, payer_id, service_date);
CREATE INDEX claim_status ON claim (practice_id, status);

-- A service line, with the coding engine's rule ids and explanation. `session_id` and `client_id`
-- say which billable member of which session it bills.
CREATE TABLE claim_line (
  id               INTEGER PRIMARY KEY,
  claim_id         INTEGER NOT NULL REFERENCES claim (id) ON DELETE CASCADE,
  line_number      INTEGER NOT NULL,
  session_id       INTEGER NOT NULL REFERENCES session (id),
  client_id        INTEGER NOT NULL REFERENCES client (id),
  code             TEXT NOT NULL,
  modifiers        TEXT NOT NULL DEFAULT '',
  units            INTEGER NOT NULL DEFAULT 1,
  charge_cents     INTEGER NOT NULL DEFAULT 0,
  place_of_service TEXT NOT NULL DEFAULT '',
  dx_pointers      TEXT NOT NULL DEFAULT '1',
  rules            TEXT NOT NULL DEFAULT '',
  explanation      TEXT NOT NULL DEFAULT '',
  paid_cents       INTEGER NOT NULL DEFAULT 0,
  UNIQUE (claim_id, line_number)
);
CREATE INDEX claim_line_session ON claim_line (session_id, client_id);

-- Which billable member of which session is on a claim: a member is billed once.
CREATE TABLE claim_session (
  practice_id  INTEGER NOT NULL,
  session_id   INTEGER NOT NULL REFERENCES session (id),
  client_id    INTEGER NOT NULL REFERENCES client (id),
  claim_id     INTEGER NOT NULL REFERENCES claim (id) ON DELETE CASCADE,
  PRIMARY KEY (practice_id, session_id, client_id)
);

-- Every move of a claim through its lifecycle.
CREATE TABLE claim_status_history (
  id           INTEGER PRIMARY KEY,
  claim_id     INTEGER NOT NULL REFERENCES claim (id) ON DELETE CASCADE,
  from_status  TEXT NOT NULL,
  to_status    TEXT NOT NULL,
  reason       TEXT NOT NULL DEFAULT '',
  changed_at   TEXT NOT NULL
);
CREATE INDEX claim_status_history_claim ON claim_status_history (claim_id);

-- The last control number handed out per practice and kind (0 interchange, 1 group, 2 transaction).
-- Allocated with UPDATE ... RETURNING inside a transaction, so a number is never handed out twice.
CREATE TABLE control_number (
  practice_id  INTEGER NOT NULL,
  kind         INTEGER NOT NULL CHECK (kind IN (0, 1, 2)),
  last_value   INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (practice_id, kind)
);

-- An 835 file posted, known by the hash of its bytes: the same file is posted once.
CREATE TABLE era_file (
  id           INTEGER PRIMARY KEY,
  practice_id  INTEGER NOT NULL,
  file_hash    TEXT NOT NULL,
  bytes        INTEGER NOT NULL,
  posted_at    TEXT NOT NULL,
  UNIQUE (practice_id, file_hash)
);

-- Money an 835 reports for a claim (claim_line_id NULL) or for one of its lines.
CREATE TABLE payment (
  id                  INTEGER PRIMARY KEY,
  era_file_id         INTEGER NOT NULL REFERENCES era_file (id),
  claim_id            INTEGER NOT NULL REFERENCES claim (id),
  claim_line_id       INTEGER REFERENCES claim_line (id),
  check_number        TEXT NOT NULL DEFAULT '',
  payer_claim_number  TEXT NOT NULL DEFAULT '',
  claim_status        TEXT NOT NULL DEFAULT '',
  charge_cents        INTEGER NOT NULL DEFAULT 0,
  paid_cents          INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX payment_claim ON payment (claim_id);

-- An adjustment of a payment: CAS group (CO, PR, OA, PI), reason code (CARC) and amount.
CREATE TABLE adjustment (
  id            INTEGER PRIMARY KEY,
  payment_id    INTEGER NOT NULL REFERENCES payment (id) ON DELETE CASCADE,
  group_code    TEXT NOT NULL,
  reason        TEXT NOT NULL,
  amount_cents  INTEGER NOT NULL
);
CREATE INDEX adjustment_payment ON adjustment (payment_id);

-- What an 835 reported that matched no claim or no line: kept for a person to resolve.
CREATE TABLE suspense_item (
  id            INTEGER PRIMARY KEY,
  practice_id   INTEGER NOT NULL,
  era_file_id   INTEGER NOT NULL REFERENCES era_file (id),
  claim_number  TEXT NOT NULL,
  code          TEXT NOT NULL DEFAULT '',
  modifiers     TEXT NOT NULL DEFAULT '',
  charge_cents  INTEGER NOT NULL DEFAULT 0,
  paid_cents    INTEGER NOT NULL DEFAULT 0,
  why           TEXT NOT NULL,
  resolved      INTEGER NOT NULL DEFAULT 0 CHECK (resolved IN (0, 1))
);
CREATE INDEX suspense_item_practice ON suspense_item (practice_id, resolved);
