-- Reporting facilities as records: an import naming a facility not listed here is refused
-- (unless the service accepts unknown facilities, for a first load).
CREATE TABLE facilities (
    id TEXT NOT NULL PRIMARY KEY,
    name TEXT NOT NULL,
    npi TEXT,
    state TEXT,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
