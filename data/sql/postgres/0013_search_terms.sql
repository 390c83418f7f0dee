-- Search vocabulary from the ICD-10-CM Alphabetic Index (psyclaim import icd10cm-index): the index
-- terms that lead to a code ("Wetting, bed" -> enuresis), searched below the code's own title
-- (docs/search.md). A new import of the index replaces the rows of its system.
CREATE TABLE code_term (
  system TEXT COLLATE "C" NOT NULL,
  code   TEXT COLLATE "C" NOT NULL,
  term   TEXT NOT NULL,
  PRIMARY KEY (system, code, term)
);
