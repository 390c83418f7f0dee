-- 0025 (PostgreSQL; sql/sqlite/0025_set_references.sql is its no-op twin): the references of the
-- tables written in bulk -- a claims build's claims, lines, billed members and status history, and the
-- clients, diagnoses, policies and record history of a client import -- are checked once per statement
-- instead of once per row. A foreign key runs one look-up query per row and key (twelve a claim): on a
-- 134,000-claim build they were 7 of its 16 seconds. Each table below keeps exactly the references its
-- foreign keys made, with the same guarantees:
--
--  * INSERT: after each statement, the parents its new rows name are locked FOR KEY SHARE in one query
--    (as a foreign key locks each one), and their number must equal the number of distinct keys named
--    (a key with a NULL part names nothing, as MATCH SIMPLE). Otherwise: SQLSTATE 23503.
--  * UPDATE of a referencing column: the new row's parents are checked and locked the same way.
--  * DELETE of a parent: refused (23503) while a row still names it; a claim's lines, billed members
--    and history go with it (ON DELETE CASCADE before). The parent's rows were locked by every writer
--    that named them, so a delete waits for those writers and then sees their rows.
--  * A parent's key never changes (psyclaim never changes one): refused (23503).
--
-- Each check finds the parents by their keys (id = ANY of the distinct keys named) in a query planned
-- for that statement (EXECUTE), with the parent's size as it is then: a plan kept per connection would
-- be chosen once, perhaps while the parent was empty (a scan of the whole table for every statement
-- once it is not). Planning costs about 0.05 ms a reference, nothing beside a large statement's rows.

CREATE FUNCTION psy_ref_fail(child text, cols text, parent text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'insert or update on table "%" violates its reference (%) to table "%"', child, cols, parent
    USING ERRCODE = 'foreign_key_violation',
          DETAIL = format('A value of (%s) is not present in table "%s".', cols, parent);
END $$;

CREATE FUNCTION psy_ref_in_use(parent text, child text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'update or delete on table "%" violates a reference from table "%"', parent, child
    USING ERRCODE = 'foreign_key_violation',
          DETAIL = format('Rows of table "%s" still name the rows deleted or changed.', child);
END $$;

-- One reference of a statement's new rows: ids, the distinct keys they name, must all be rows of
-- parent; each is locked FOR KEY SHARE as a foreign key locks it.
CREATE FUNCTION psy_ref_check(child text, col text, parent text, ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE got bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM (SELECT 1 FROM %I p WHERE p.id = ANY ($1) FOR KEY SHARE) x', parent)
    INTO got USING ids;
  IF got <> cardinality(ids) THEN PERFORM psy_ref_fail(child, col, parent); END IF;
END $$;

-- The same within a practice: the distinct pairs (practices[i], ids[i]) must all be rows of parent.
CREATE FUNCTION psy_ref_check_within(child text, cols text, parent text, practices bigint[], ids bigint[])
  RETURNS void LANGUAGE plpgsql AS $$
DECLARE got bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM (SELECT 1 FROM %I p WHERE p.id = ANY ($2) AND (p.practice_id, p.id) IN '
                 '(SELECT * FROM unnest($1, $2)) FOR KEY SHARE) x', parent)
    INTO got USING practices, ids;
  IF got <> coalesce(cardinality(ids), 0) THEN PERFORM psy_ref_fail(child, cols, parent); END IF;
END $$;

-- A parent's key columns do not change (row trigger, only when they do).
CREATE FUNCTION psy_ref_key_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM psy_ref_in_use(TG_TABLE_NAME, TG_ARGV[0]);
  RETURN NULL;
END $$;

-- One referencing row changed its key columns: TG_ARGV holds triples (child columns, parent table,
-- parent columns), comma-separated column lists of the same length.
CREATE FUNCTION psy_ref_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  i int := 0;
  v jsonb := to_jsonb(NEW);
  conds text;
  has_null boolean;
  found_rows bigint;
BEGIN
  WHILE i < TG_NARGS LOOP
    SELECT bool_or(v ->> c IS NULL),
           string_agg(format('p.%I = %L', pc, v ->> c), ' AND ')
      INTO has_null, conds
      FROM unnest(string_to_array(TG_ARGV[i], ','), string_to_array(TG_ARGV[i + 2], ',')) AS k(c, pc);
    IF NOT has_null THEN
      EXECUTE format('SELECT 1 FROM %I p WHERE %s FOR KEY SHARE OF p', TG_ARGV[i + 1], conds);
      GET DIAGNOSTICS found_rows = ROW_COUNT; -- (EXECUTE leaves FOUND as it was)
      IF found_rows = 0 THEN PERFORM psy_ref_fail(TG_TABLE_NAME, TG_ARGV[i], TG_ARGV[i + 1]); END IF;
    END IF;
    i := i + 3;
  END LOOP;
  RETURN NULL;
END $$;

-- --- the claims build's tables -----------------------------------------------------------------------

ALTER TABLE claim DROP CONSTRAINT claim_practice_id_fkey;
ALTER TABLE claim DROP CONSTRAINT claim_client_id_fkey;
ALTER TABLE claim DROP CONSTRAINT claim_payer_id_fkey;
ALTER TABLE claim DROP CONSTRAINT claim_policy_id_fkey;
ALTER TABLE claim DROP CONSTRAINT claim_clinician_id_fkey;
ALTER TABLE claim_line DROP CONSTRAINT claim_line_claim_id_fkey;
ALTER TABLE claim_line DROP CONSTRAINT claim_line_session_id_fkey;
ALTER TABLE claim_line DROP CONSTRAINT claim_line_client_id_fkey;
ALTER TABLE claim_session DROP CONSTRAINT claim_session_session_id_fkey;
ALTER TABLE claim_session DROP CONSTRAINT claim_session_client_id_fkey;
ALTER TABLE claim_session DROP CONSTRAINT claim_session_claim_id_fkey;
ALTER TABLE claim_status_history DROP CONSTRAINT claim_status_history_claim_id_fkey;

CREATE FUNCTION psy_ref_claim_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM psy_ref_check('claim', 'practice_id', 'practice',
                        ARRAY(SELECT DISTINCT practice_id FROM new_rows WHERE practice_id IS NOT NULL));
  PERFORM psy_ref_check('claim', 'client_id', 'client',
                        ARRAY(SELECT DISTINCT client_id FROM new_rows WHERE client_id IS NOT NULL));
  PERFORM psy_ref_check('claim', 'payer_id', 'payer',
                        ARRAY(SELECT DISTINCT payer_id FROM new_rows WHERE payer_id IS NOT NULL));
  PERFORM psy_ref_check('claim', 'policy_id', 'policy',
                        ARRAY(SELECT DISTINCT policy_id FROM new_rows WHERE policy_id IS NOT NULL));
  PERFORM psy_ref_check('claim', 'clinician_id', 'clinician',
                        ARRAY(SELECT DISTINCT clinician_id FROM new_rows WHERE clinician_id IS NOT NULL));
  RETURN NULL;
END $$;
CREATE TRIGGER claim_refs AFTER INSERT ON claim REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION psy_ref_claim_insert();
CREATE TRIGGER claim_refs_update AFTER UPDATE OF practice_id, client_id, payer_id, policy_id, clinician_id ON claim
  FOR EACH ROW WHEN (OLD.practice_id IS DISTINCT FROM NEW.practice_id OR OLD.client_id IS DISTINCT FROM NEW.client_id
                     OR OLD.payer_id IS DISTINCT FROM NEW.payer_id OR OLD.policy_id IS DISTINCT FROM NEW.policy_id
                     OR OLD.clinician_id IS DISTINCT FROM NEW.clinician_id)
  EXECUTE FUNCTION psy_ref_row('practice_id', 'practice', 'id', 'client_id', 'client', 'id', 'payer_id', 'payer', 'id',
                               'policy_id', 'policy', 'id', 'clinician_id', 'clinician', 'id');

CREATE FUNCTION psy_ref_claim_line_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM psy_ref_check('claim_line', 'claim_id', 'claim',
                        ARRAY(SELECT DISTINCT claim_id FROM new_rows WHERE claim_id IS NOT NULL));
  PERFORM psy_ref_check('claim_line', 'session_id', 'session',
                        ARRAY(SELECT DISTINCT session_id FROM new_rows WHERE session_id IS NOT NULL));
  PERFORM psy_ref_check('claim_line', 'client_id', 'client',
                        ARRAY(SELECT DISTINCT client_id FROM new_rows WHERE client_id IS NOT NULL));
  RETURN NULL;
END $$;
CREATE TRIGGER claim_line_refs AFTER INSERT ON claim_line REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION psy_ref_claim_line_insert();
CREATE TRIGGER claim_line_refs_update AFTER UPDATE OF claim_id, session_id, client_id ON claim_line
  FOR EACH ROW WHEN (OLD.claim_id IS DISTINCT FROM NEW.claim_id OR OLD.session_id IS DISTINCT FROM NEW.session_id
                     OR OLD.client_id IS DISTINCT FROM NEW.client_id)
  EXECUTE FUNCTION psy_ref_row('claim_id', 'claim', 'id', 'session_id', 'session', 'id', 'client_id', 'client', 'id');

CREATE FUNCTION psy_ref_claim_session_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM psy_ref_check('claim_session', 'session_id', 'session',
                        ARRAY(SELECT DISTINCT session_id FROM new_rows WHERE session_id IS NOT NULL));
  PERFORM psy_ref_check('claim_session', 'client_id', 'client',
                        ARRAY(SELECT DISTINCT client_id FROM new_rows WHERE client_id IS NOT NULL));
  PERFORM psy_ref_check('claim_session', 'claim_id', 'claim',
                        ARRAY(SELECT DISTINCT claim_id FROM new_rows WHERE claim_id IS NOT NULL));
  RETURN NULL;
END $$;
CREATE TRIGGER claim_session_refs AFTER INSERT ON claim_session REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION psy_ref_claim_session_insert();
CREATE TRIGGER claim_session_refs_update AFTER UPDATE OF session_id, client_id, claim_id ON claim_session
  FOR EACH ROW WHEN (OLD.session_id IS DISTINCT FROM NEW.session_id OR OLD.client_id IS DISTINCT FROM NEW.client_id
                     OR OLD.claim_id IS DISTINCT FROM NEW.claim_id)
  EXECUTE FUNCTION psy_ref_row('session_id', 'session', 'id', 'client_id', 'client', 'id', 'claim_id', 'claim', 'id');

CREATE FUNCTION psy_ref_claim_history_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM psy_ref_check('claim_status_history', 'claim_id', 'claim',
                        ARRAY(SELECT DISTINCT claim_id FROM new_rows WHERE claim_id IS NOT NULL));
  RETURN NULL;
END $$;
CREATE TRIGGER claim_status_history_refs AFTER INSERT ON claim_status_history REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION psy_ref_claim_history_insert();
CREATE TRIGGER claim_status_history_refs_update AFTER UPDATE OF claim_id ON claim_status_history
  FOR EACH ROW WHEN (OLD.claim_id IS DISTINCT FROM NEW.claim_id)
  EXECUTE FUNCTION psy_ref_row('claim_id', 'claim', 'id');

-- --- a client import's tables -----------------------------------------------------------------------

ALTER TABLE client DROP CONSTRAINT client_practice_id_fkey;
ALTER TABLE client_diagnosis DROP CONSTRAINT client_diagnosis_practice_id_client_id_fkey;
ALTER TABLE policy DROP CONSTRAINT policy_practice_id_client_id_fkey;
ALTER TABLE policy DROP CONSTRAINT policy_practice_id_payer_id_fkey;
ALTER TABLE record_history DROP CONSTRAINT record_history_practice_id_fkey;

CREATE FUNCTION psy_ref_client_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM psy_ref_check(TG_TABLE_NAME, 'practice_id', 'practice',
                        ARRAY(SELECT DISTINCT practice_id FROM new_rows WHERE practice_id IS NOT NULL));
  RETURN NULL;
END $$;
CREATE TRIGGER client_refs AFTER INSERT ON client REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION psy_ref_client_insert();
CREATE TRIGGER record_history_refs AFTER INSERT ON record_history REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION psy_ref_client_insert();
CREATE TRIGGER client_refs_update AFTER UPDATE OF practice_id ON client
  FOR EACH ROW WHEN (OLD.practice_id IS DISTINCT FROM NEW.practice_id)
  EXECUTE FUNCTION psy_ref_row('practice_id', 'practice', 'id');
CREATE TRIGGER record_history_refs_update AFTER UPDATE OF practice_id ON record_history
  FOR EACH ROW WHEN (OLD.practice_id IS DISTINCT FROM NEW.practice_id)
  EXECUTE FUNCTION psy_ref_row('practice_id', 'practice', 'id');

CREATE FUNCTION psy_ref_client_diagnosis_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE pr bigint[]; ids bigint[];
BEGIN
  SELECT array_agg(practice_id), array_agg(client_id) INTO pr, ids FROM (SELECT DISTINCT practice_id, client_id
    FROM new_rows WHERE practice_id IS NOT NULL AND client_id IS NOT NULL) k;
  PERFORM psy_ref_check_within('client_diagnosis', 'practice_id, client_id', 'client', pr, ids);
  RETURN NULL;
END $$;
CREATE TRIGGER client_diagnosis_refs AFTER INSERT ON client_diagnosis REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION psy_ref_client_diagnosis_insert();
CREATE TRIGGER client_diagnosis_refs_update AFTER UPDATE OF practice_id, client_id ON client_diagnosis
  FOR EACH ROW WHEN (OLD.practice_id IS DISTINCT FROM NEW.practice_id OR OLD.client_id IS DISTINCT FROM NEW.client_id)
  EXECUTE FUNCTION psy_ref_row('practice_id,client_id', 'client', 'practice_id,id');

CREATE FUNCTION psy_ref_policy_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE pr bigint[]; ids bigint[];
BEGIN
  SELECT array_agg(practice_id), array_agg(client_id) INTO pr, ids FROM (SELECT DISTINCT practice_id, client_id
    FROM new_rows WHERE practice_id IS NOT NULL AND client_id IS NOT NULL) k;
  PERFORM psy_ref_check_within('policy', 'practice_id, client_id', 'client', pr, ids);
  SELECT array_agg(practice_id), array_agg(payer_id) INTO pr, ids FROM (SELECT DISTINCT practice_id, payer_id
    FROM new_rows WHERE practice_id IS NOT NULL AND payer_id IS NOT NULL) k;
  PERFORM psy_ref_check_within('policy', 'practice_id, payer_id', 'payer', pr, ids);
  RETURN NULL;
END $$;
CREATE TRIGGER policy_refs AFTER INSERT ON policy REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION psy_ref_policy_insert();
CREATE TRIGGER policy_refs_update AFTER UPDATE OF practice_id, client_id, payer_id ON policy
  FOR EACH ROW WHEN (OLD.practice_id IS DISTINCT FROM NEW.practice_id OR OLD.client_id IS DISTINCT FROM NEW.client_id
                     OR OLD.payer_id IS DISTINCT FROM NEW.payer_id)
  EXECUTE FUNCTION psy_ref_row('practice_id,client_id', 'client', 'practice_id,id',
                               'practice_id,payer_id', 'payer', 'practice_id,id');

-- --- the parents: no delete while named, keys fixed ---------------------------------------------------

CREATE FUNCTION psy_ref_practice_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM claim c WHERE c.practice_id IN (SELECT id FROM old_rows)) THEN
    PERFORM psy_ref_in_use('practice', 'claim'); END IF;
  IF EXISTS (SELECT 1 FROM client c WHERE c.practice_id IN (SELECT id FROM old_rows)) THEN
    PERFORM psy_ref_in_use('practice', 'client'); END IF;
  IF EXISTS (SELECT 1 FROM record_history c WHERE c.practice_id IN (SELECT id FROM old_rows)) THEN
    PERFORM psy_ref_in_use('practice', 'record_history'); END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER practice_refs_delete AFTER DELETE ON practice REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION psy_ref_practice_delete();
CREATE TRIGGER practice_key_fixed AFTER UPDATE OF id ON practice
  FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION psy_ref_key_fixed('claim, client, record_history');

CREATE FUNCTION psy_ref_client_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM claim c WHERE c.client_id IN (SELECT id FROM old_rows)) THEN
    PERFORM psy_ref_in_use('client', 'claim'); END IF;
  IF EXISTS (SELECT 1 FROM claim_line c WHERE c.client_id IN (SELECT id FROM old_rows)) THEN
    PERFORM psy_ref_in_use('client', 'claim_line'); END IF;
  IF EXISTS (SELECT 1 FROM claim_session c WHERE c.client_id IN (SELECT id FROM old_rows)) THEN
    PERFORM psy_ref_in_use('client', 'claim_session'); END IF;
  IF EXISTS (SELECT 1 FROM client_diagnosis c WHERE (c.practice_id, c.client_id) IN (SELECT practice_id, id FROM old_rows)) THEN
    PERFORM psy_ref_in_use('client', 'client_diagnosis'); END IF;
  IF EXISTS (SELECT 1 FROM policy c WHERE (c.practice_id, c.client_id) IN (SELECT practice_id, id FROM old_rows)) THEN
    PERFORM psy_ref_in_use('client', 'policy'); END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER client_refs_delete AFTER DELETE ON client REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION psy_ref_client_delete();
CREATE TRIGGER client_key_fixed AFTER UPDATE OF id, practice_id ON client
  FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id OR OLD.practice_id IS DISTINCT FROM NEW.practice_id)
  EXECUTE FUNCTION psy_ref_key_fixed('claim, claim_line, claim_session, client_diagnosis, policy');

CREATE FUNCTION psy_ref_payer_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM claim c WHERE c.payer_id IN (SELECT id FROM old_rows)) THEN
    PERFORM psy_ref_in_use('payer', 'claim'); END IF;
  IF EXISTS (SELECT 1 FROM policy c WHERE (c.practice_id, c.payer_id) IN (SELECT practice_id, id FROM old_rows)) THEN
    PERFORM psy_ref_in_use('payer', 'policy'); END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER payer_refs_delete AFTER DELETE ON payer REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION psy_ref_payer_delete();
CREATE TRIGGER payer_key_fixed AFTER UPDATE OF id, practice_id ON payer
  FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id OR OLD.practice_id IS DISTINCT FROM NEW.practice_id)
  EXECUTE FUNCTION psy_ref_key_fixed('claim, policy');

CREATE FUNCTION psy_ref_policy_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM claim c WHERE c.policy_id IN (SELECT id FROM old_rows)) THEN
    PERFORM psy_ref_in_use('policy', 'claim'); END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER policy_refs_delete AFTER DELETE ON policy REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION psy_ref_policy_delete();
CREATE TRIGGER policy_key_fixed AFTER UPDATE OF id ON policy
  FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION psy_ref_key_fixed('claim');

CREATE FUNCTION psy_ref_clinician_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM claim c WHERE c.clinician_id IN (SELECT id FROM old_rows)) THEN
    PERFORM psy_ref_in_use('clinician', 'claim'); END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER clinician_refs_delete AFTER DELETE ON clinician REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION psy_ref_clinician_delete();
CREATE TRIGGER clinician_key_fixed AFTER UPDATE OF id ON clinician
  FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION psy_ref_key_fixed('claim');

CREATE FUNCTION psy_ref_session_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM claim_line c WHERE c.session_id IN (SELECT id FROM old_rows)) THEN
    PERFORM psy_ref_in_use('session', 'claim_line'); END IF;
  IF EXISTS (SELECT 1 FROM claim_session c WHERE c.session_id IN (SELECT id FROM old_rows)) THEN
    PERFORM psy_ref_in_use('session', 'claim_session'); END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER session_refs_delete AFTER DELETE ON session REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION psy_ref_session_delete();
CREATE TRIGGER session_key_fixed AFTER UPDATE OF id ON session
  FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION psy_ref_key_fixed('claim_line, claim_session');

-- A claim's lines, billed members and status history are deleted with it.
CREATE FUNCTION psy_ref_claim_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM claim_line WHERE claim_id IN (SELECT id FROM old_rows);
  DELETE FROM claim_session WHERE claim_id IN (SELECT id FROM old_rows);
  DELETE FROM claim_status_history WHERE claim_id IN (SELECT id FROM old_rows);
  RETURN NULL;
END $$;
CREATE TRIGGER claim_refs_delete AFTER DELETE ON claim REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION psy_ref_claim_delete();
CREATE TRIGGER claim_key_fixed AFTER UPDATE OF id ON claim
  FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id)
  EXECUTE FUNCTION psy_ref_key_fixed('claim_line, claim_session, claim_status_history');
