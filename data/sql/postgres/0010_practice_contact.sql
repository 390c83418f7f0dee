-- 0010: the practice's billing contact -- the person payers call about claims (837P submitter contact,
-- loop 1000A PER), their phone (digits only) and e-mail. Empty until the practice enters them.

ALTER TABLE practice ADD COLUMN billing_contact TEXT NOT NULL DEFAULT '';
ALTER TABLE practice ADD COLUMN billing_phone TEXT NOT NULL DEFAULT '';
ALTER TABLE practice ADD COLUMN billing_email TEXT NOT NULL DEFAULT '';
