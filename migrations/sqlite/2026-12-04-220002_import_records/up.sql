-- Imports as records: the facilities a file named (for the list's filter; comma-separated,
-- with a leading and trailing comma), and every import that created or changed a tumor.
ALTER TABLE imports ADD COLUMN facilities TEXT;
CREATE INDEX imports_created ON imports (created_at, id);
CREATE INDEX imports_status ON imports (status, created_at, id);

CREATE TABLE tumor_sources (
    id TEXT NOT NULL PRIMARY KEY,
    tumor_id TEXT NOT NULL,
    import_id TEXT NOT NULL,
    file_name TEXT,
    line BIGINT,
    change TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX tumor_sources_tumor ON tumor_sources (tumor_id, id);
