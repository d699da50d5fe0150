-- Patients and tumors keep their NAACCR items as one JSON document (items keyed by NAACCR XML
-- id) plus real columns for what is searched, joined and scoped.
CREATE TABLE patients (
    id TEXT NOT NULL PRIMARY KEY,
    facility_id TEXT NOT NULL,
    patient_id_number TEXT,
    items TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX patients_facility ON patients (facility_id, id);
CREATE INDEX patients_patient_id_number ON patients (patient_id_number);

CREATE TABLE tumors (
    id TEXT NOT NULL PRIMARY KEY,
    patient_id TEXT NOT NULL REFERENCES patients (id),
    facility_id TEXT NOT NULL,
    primary_site TEXT,
    histology TEXT,
    behavior TEXT,
    dx_year INTEGER,
    schema_id TEXT,
    status TEXT NOT NULL,
    items TEXT NOT NULL,
    version BIGINT NOT NULL,
    source_file TEXT,
    source_line BIGINT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX tumors_patient ON tumors (patient_id);
CREATE INDEX tumors_facility ON tumors (facility_id, id);
CREATE INDEX tumors_site ON tumors (primary_site, id);
CREATE INDEX tumors_histology ON tumors (histology, id);
CREATE INDEX tumors_dx_year ON tumors (dx_year, id);
CREATE INDEX tumors_status ON tumors (status, id);
CREATE INDEX tumors_schema ON tumors (schema_id);

-- Append-only for the service: no code path updates or deletes these rows.
CREATE TABLE audit_log (
    id TEXT NOT NULL PRIMARY KEY,
    at TIMESTAMP NOT NULL,
    actor TEXT NOT NULL,
    roles TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT,
    request_id TEXT,
    details TEXT NOT NULL
);
CREATE INDEX audit_log_actor ON audit_log (actor, id);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);
CREATE INDEX audit_log_action ON audit_log (action, id);
CREATE INDEX audit_log_at ON audit_log (at);
