-- The severity each person was told an incident at (a message sent at once): a later cause notifies
-- again only above it. A raise that throttling held back (into the digest) is not taken as told.
ALTER TABLE incidents ADD COLUMN told_severity text;
UPDATE incidents SET told_severity = severity WHERE sent;
