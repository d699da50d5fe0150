-- A facility's abstracting defaults (Type of Reporting Source, Class of Case, Archive FIN, ...):
-- the workspace pre-fills a new abstract with them, marked for the registrar to confirm.
-- items: a JSON object of NAACCR Tumor items; version: the ETag, 0 before the first write.
CREATE TABLE facility_profiles (
    facility_id TEXT NOT NULL PRIMARY KEY REFERENCES facilities(id),
    items TEXT NOT NULL,
    version BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
