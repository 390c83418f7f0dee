-- 0022: the benefit year an eligibility answer's visit limit counts in. A payer that states the limit per
-- service year or contract (271 EB06 22 or 25) counts from the plan's own start (2110 DTP 348/346, else
-- 2100 DTP*346), not from January 1: the day that year began, YYYY-MM-DD; '' for a calendar year.
ALTER TABLE eligibility_check ADD COLUMN visits_year_begin TEXT NOT NULL DEFAULT '';
