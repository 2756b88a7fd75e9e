-- a record may require a flag: missing, the handler fails (a cause an operator can fix, then replay)
CREATE TABLE flags (name text PRIMARY KEY);
