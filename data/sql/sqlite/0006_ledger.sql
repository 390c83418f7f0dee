-- 0006: money that is posted once and batches that are never lost. Each 835 payment (one ST..SE) is
-- known by its payer and TRN02 trace number, with the BLAKE2b hash of its canonical segments; a
-- reversal points at the payment row it takes back; every 837P batch is kept whole (its bytes, control
-- numbers and claims) from the transaction that marks its claims submitted.

ALTER TABLE era_file ADD COLUMN name TEXT NOT NULL DEFAULT '';

-- One 835 payment posted: the same payer and trace number never post twice.
CREATE TABLE era_payment (
  id            INTEGER PRIMARY KEY,
  practice_id   INTEGER NOT NULL,
  era_file_id   INTEGER NOT NULL REFERENCES era_file (id),
  payer_key     TEXT NOT NULL,
  trace_number  TEXT NOT NULL,
  content_hash  TEXT NOT NULL,
  paid_cents    INTEGER NOT NULL,
  UNIQUE (practice_id, payer_key, trace_number)
);

-- The payment row a reversal (CLP02 = 22) took back; NULL while it stands.
ALTER TABLE payment ADD COLUMN reversed_by INTEGER REFERENCES payment (id);

-- An 837P interchange as it was written, kept so that a failed write or a lost file can be fetched
-- again. `written_at` is set once a copy reached the file it was exported to.
CREATE TABLE claim_batch (
  id             INTEGER PRIMARY KEY,
  practice_id    INTEGER NOT NULL,
  payer_id       INTEGER NOT NULL REFERENCES payer (id),
  payer_code     TEXT NOT NULL,
  isa13          INTEGER NOT NULL,
  gs06           INTEGER NOT NULL,
  st02           TEXT NOT NULL,
  n_claims       INTEGER NOT NULL,
  bytes          TEXT NOT NULL,
  created_at     TEXT NOT NULL,
  written_to     TEXT NOT NULL DEFAULT '',
  written_at     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX claim_batch_practice ON claim_batch (practice_id, id);

CREATE TABLE claim_batch_claim (
  batch_id  INTEGER NOT NULL REFERENCES claim_batch (id),
  claim_id  INTEGER NOT NULL REFERENCES claim (id),
  PRIMARY KEY (batch_id, claim_id)
);
CREATE INDEX claim_batch_claim_claim ON claim_batch_claim (claim_id);
