-- 0020: interactive complexity decided member by member in a group (90785 with 90853 only for the
-- members for whom a complexity factor occurred; domain.md 1.8). A session's own flag still applies to
-- every present member; a member's flag adds 90785 to that member's claim alone.
ALTER TABLE attendance ADD COLUMN interactive_complexity INTEGER NOT NULL DEFAULT 0
  CHECK (interactive_complexity IN (0, 1));
