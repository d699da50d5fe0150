-- Tamper-evident audit trail: each row's position in the chain and its hash (over its content
-- and the previous row's hash). Rows older than this migration are chained once by the
-- service (SQLite has no SHA-256 in SQL); `legacy_sealed` records that it happened, so a row
-- without a position found later was inserted behind the service's back.
ALTER TABLE audit_log ADD COLUMN seq BIGINT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;
CREATE UNIQUE INDEX audit_log_seq ON audit_log (seq);
CREATE TABLE audit_chain (
    id INTEGER NOT NULL PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL,
    legacy_sealed BOOLEAN NOT NULL
);
INSERT INTO audit_chain (id, seq, hash, legacy_sealed)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', FALSE);
