-- 0032: a practice may be a sole proprietor: a clinician who bills under their own (type 1, individual)
-- NPI and name, as NPPES enumerates a sole proprietorship (a type 2 NPI is for an organisation: a group,
-- a corporation, an incorporated individual). The NPI itself carries no type (it is intelligence-free),
-- so the practice says which it is; its claims then name the billing provider as a person (837P 2010AA
-- NM102 = 1, NM103 last name, NM104 first name; the 270's information receiver likewise).
ALTER TABLE practice ADD COLUMN sole_proprietor INTEGER NOT NULL DEFAULT 0 CHECK (sole_proprietor IN (0, 1));
ALTER TABLE practice ADD COLUMN first_name TEXT NOT NULL DEFAULT '';
ALTER TABLE practice ADD COLUMN last_name TEXT NOT NULL DEFAULT '';
