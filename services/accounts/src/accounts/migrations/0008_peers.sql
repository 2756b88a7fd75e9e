-- Peer benchmarks: the share of seats active (health's adoption, with each score change), and an index
-- to find an account's peers (same industry and segment).
ALTER TABLE accounts ADD COLUMN adoption double precision;
CREATE INDEX accounts_peers_idx ON accounts (industry, segment);
