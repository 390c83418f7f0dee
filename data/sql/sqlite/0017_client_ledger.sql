-- 0017: the client's side of the money (docs/ledger.md). One append-only ledger of entries per client in
-- integer cents: what the client owes goes up (+) with the expected share at the time of service, the
-- payer's patient responsibility from a posted 835 and refunds, and down (-) with the client's payments
-- and write-offs. A correction is an entry that reverses another (`reverses`); no entry is ever changed
-- or deleted. The balance is the sum and is stored nowhere else. Closed months lock their entries.

-- The fee a client pays per session when no insurance is in force (self-pay, or a sliding-scale fee).
CREATE TABLE client_fee (
  practice_id    INTEGER NOT NULL,
  client_id      INTEGER NOT NULL,
  self_pay_cents INTEGER NOT NULL CHECK (self_pay_cents >= 0),
  updated_at     TEXT NOT NULL,
  PRIMARY KEY (practice_id, client_id),
  FOREIGN KEY (practice_id, client_id) REFERENCES client (practice_id, id)
);

-- The practice's own list of reasons for an adjustment or write-off.
CREATE TABLE ledger_reason (
  practice_id INTEGER NOT NULL,
  code        TEXT NOT NULL CHECK (length(code) BETWEEN 1 AND 32),
  words       TEXT NOT NULL CHECK (length(words) BETWEEN 1 AND 120),
  active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  PRIMARY KEY (practice_id, code)
);

CREATE TABLE ledger_entry (
  id              INTEGER PRIMARY KEY,
  practice_id     INTEGER NOT NULL,
  client_id       INTEGER NOT NULL,
  kind            TEXT NOT NULL CHECK (kind IN ('copay', 'fee', 'payer_share', 'payment', 'refund', 'adjustment',
                                                'reversal')),
  amount_cents    INTEGER NOT NULL,
  entry_date      TEXT NOT NULL CHECK (entry_date LIKE '____-__-__'),
  service_date    TEXT NOT NULL DEFAULT '',
  session_id      INTEGER,
  claim_id        INTEGER REFERENCES claim (id),
  payment_id      INTEGER REFERENCES payment (id),
  method          TEXT NOT NULL DEFAULT '' CHECK (method IN ('', 'cash', 'check', 'card', 'other')),
  reference       TEXT NOT NULL DEFAULT '',
  reason_code     TEXT NOT NULL DEFAULT '',
  reason          TEXT NOT NULL DEFAULT '',
  source          TEXT NOT NULL DEFAULT '',
  reverses        INTEGER UNIQUE REFERENCES ledger_entry (id),
  idempotency_key TEXT,
  created_by      TEXT NOT NULL DEFAULT '',
  created_at      TEXT NOT NULL,
  UNIQUE (practice_id, idempotency_key),
  FOREIGN KEY (practice_id, client_id) REFERENCES client (practice_id, id),
  CHECK ((kind = 'reversal') = (reverses IS NOT NULL))
);
CREATE INDEX ledger_entry_client ON ledger_entry (practice_id, client_id, entry_date);
CREATE INDEX ledger_entry_claim ON ledger_entry (claim_id);
CREATE INDEX ledger_entry_payment ON ledger_entry (payment_id);

-- Each billable member of a signed session whose expected share the ledger has taken (an amount of
-- zero leaves no entry): a member is charged once.
CREATE TABLE ledger_session (
  practice_id INTEGER NOT NULL,
  session_id  INTEGER NOT NULL,
  client_id   INTEGER NOT NULL,
  PRIMARY KEY (practice_id, session_id, client_id)
);

-- A closed month: no entry dated in it is written after closed_at.
CREATE TABLE ledger_month (
  practice_id INTEGER NOT NULL,
  month       TEXT NOT NULL CHECK (month LIKE '____-__'),
  closed_at   TEXT NOT NULL,
  closed_by   TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (practice_id, month)
);

-- The practice's ledger settings: whether a clinician sees the balances of their own clients.
CREATE TABLE ledger_setting (
  practice_id             INTEGER PRIMARY KEY,
  clinicians_see_balances INTEGER NOT NULL DEFAULT 0 CHECK (clinicians_see_balances IN (0, 1))
);
