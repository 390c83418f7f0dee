-- 0029: claim_session, the members billed (one row per session and client), is stored by its own key,
-- WITHOUT ROWID: a build writes one row per member it bills, and each row went into two B-trees (the
-- table and the index of its primary key); now into one. The same columns, key and references.
CREATE TABLE claim_session_by_key (
  practice_id  INTEGER NOT NULL,
  session_id   INTEGER NOT NULL REFERENCES session (id),
  client_id    INTEGER NOT NULL REFERENCES client (id),
  claim_id     INTEGER NOT NULL REFERENCES claim (id) ON DELETE CASCADE,
  PRIMARY KEY (practice_id, session_id, client_id)
) WITHOUT ROWID;
INSERT INTO claim_session_by_key (practice_id, session_id, client_id, claim_id)
  SELECT practice_id, session_id, client_id, claim_id FROM claim_session;
DROP TABLE claim_session;
ALTER TABLE claim_session_by_key RENAME TO claim_session;
