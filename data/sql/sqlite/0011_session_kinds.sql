-- 0011: what an individual-type session needs to be coded and signed in the web app: family therapy
-- without the patient (90846), intake with medical services (90792), an E/M visit with psychotherapy
-- add-on, interactive complexity (90785); the written reason a clinician gave for signing a session
-- despite errors of the audit or the coding engine; and the note template a note was written with.
ALTER TABLE session ADD COLUMN patient_absent INTEGER NOT NULL DEFAULT 0 CHECK (patient_absent IN (0, 1));
ALTER TABLE session ADD COLUMN medical INTEGER NOT NULL DEFAULT 0 CHECK (medical IN (0, 1));
ALTER TABLE session ADD COLUMN em_code TEXT CHECK (em_code IS NULL OR length(em_code) = 5);
ALTER TABLE session ADD COLUMN interactive_complexity INTEGER NOT NULL DEFAULT 0
  CHECK (interactive_complexity IN (0, 1));
ALTER TABLE session ADD COLUMN sign_override TEXT;
ALTER TABLE note ADD COLUMN template TEXT;
