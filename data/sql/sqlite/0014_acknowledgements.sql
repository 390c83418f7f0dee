-- 0014: acknowledgements posted against the claims psyclaim sent. A TA1, 999 or 277CA file is kept as
-- a received file beside the 835s (era_file, with its kind), known by the hash of its bytes so that the
-- same file posts once; each verdict it gave a claim is one claim_ack row, known by the acknowledgement's
-- own control numbers and what it answers, so that the same verdict arriving again in another file changes
-- nothing. A verdict for a claim or batch psyclaim does not know goes to suspense with its segment; a
-- suspense item is resolved by applying it to a claim or by closing it with a reason.

ALTER TABLE era_file ADD COLUMN kind TEXT NOT NULL DEFAULT '835';

CREATE TABLE claim_ack (
  id             INTEGER PRIMARY KEY,
  practice_id    INTEGER NOT NULL,
  claim_id       INTEGER NOT NULL REFERENCES claim (id),
  batch_id       INTEGER REFERENCES claim_batch (id),
  file_id        INTEGER REFERENCES era_file (id),
  kind           TEXT NOT NULL CHECK (kind IN ('TA1', '999', '277CA', '277')),
  record_key     TEXT NOT NULL,
  verdict        TEXT NOT NULL CHECK (verdict IN ('accepted', 'rejected', 'other')),
  payer_claim_number TEXT NOT NULL DEFAULT '',
  errors         TEXT NOT NULL DEFAULT '[]',
  received_at    TEXT NOT NULL,
  UNIQUE (practice_id, claim_id, record_key)
);
CREATE INDEX claim_ack_claim ON claim_ack (claim_id);

ALTER TABLE suspense_item ADD COLUMN source TEXT NOT NULL DEFAULT '835';
ALTER TABLE suspense_item ADD COLUMN segment_text TEXT NOT NULL DEFAULT '';
ALTER TABLE suspense_item ADD COLUMN ack_verdict TEXT NOT NULL DEFAULT '';
ALTER TABLE suspense_item ADD COLUMN ack_errors TEXT NOT NULL DEFAULT '[]';
ALTER TABLE suspense_item ADD COLUMN resolved_claim_id INTEGER REFERENCES claim (id);
ALTER TABLE suspense_item ADD COLUMN resolution TEXT NOT NULL DEFAULT '';
ALTER TABLE suspense_item ADD COLUMN resolved_at TEXT NOT NULL DEFAULT '';
