-- 0008_audit_outcome.sql -- the audit trail records how each attempt ended and what it concerned:
-- outcome ('ok', 'failed', 'forbidden', 'not_found') and detail (the payer and claims of an export,
-- the id a refused request asked for). Adding columns changes no row, so the append-only triggers
-- stay as they are. The index serves the Audit trail page's date range.
ALTER TABLE audit_event ADD COLUMN outcome TEXT NOT NULL DEFAULT 'ok';
ALTER TABLE audit_event ADD COLUMN detail TEXT NOT NULL DEFAULT '';
CREATE INDEX audit_event_practice_at ON audit_event (practice_id, at);
