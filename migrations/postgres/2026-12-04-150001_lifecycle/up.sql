-- The abstract's life: withdrawn patients keep their rows (status), one patient per Patient ID
-- Number and facility, the columns patient search and duplicate matching use (kept by the
-- service from the items: names as their upper-case letters; Soundex is computed by the
-- service, so rows written before this migration have none until their next change, and their
-- name keys drop only the usual punctuation), and the recipients each withdrawn tumor must be
-- reported to.
ALTER TABLE patients ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
ALTER TABLE patients ADD COLUMN name_last TEXT;
ALTER TABLE patients ADD COLUMN name_last_soundex TEXT;
ALTER TABLE patients ADD COLUMN name_first TEXT;
ALTER TABLE patients ADD COLUMN ssn TEXT;
ALTER TABLE patients ADD COLUMN ssn_last4 TEXT;
ALTER TABLE patients ADD COLUMN sex TEXT;
UPDATE patients SET
    name_last = upper(replace(replace(replace(replace(replace((items::json ->> 'nameLast'), ' ', ''), '-', ''), '''', ''), '.', ''), ',', '')),
    name_first = upper(replace(replace(replace(replace(replace((items::json ->> 'nameFirst'), ' ', ''), '-', ''), '''', ''), '.', ''), ',', '')),
    ssn = (items::json ->> 'socialSecurityNumber'),
    ssn_last4 = substr((items::json ->> 'socialSecurityNumber'), 6, 4),
    sex = (items::json ->> 'sexAssignedAtBirth');
CREATE UNIQUE INDEX patients_facility_number_unique ON patients (facility_id, patient_id_number);
CREATE INDEX patients_name_last ON patients (name_last, id);
CREATE INDEX patients_name_last_soundex ON patients (name_last_soundex, id);
CREATE INDEX patients_name_first ON patients (name_first, id);
CREATE INDEX patients_ssn ON patients (ssn);
CREATE INDEX patients_ssn_last4 ON patients (ssn_last4, id);
CREATE INDEX patients_dob_id ON patients (date_of_birth, id);

ALTER TABLE tumors ADD COLUMN medical_record_number TEXT;
UPDATE tumors SET medical_record_number = (items::json ->> 'medicalRecordNumber');
CREATE INDEX tumors_medical_record_number ON tumors (medical_record_number);

CREATE TABLE tumor_withdrawals (
    tumor_id TEXT NOT NULL REFERENCES tumors (id),
    recipient TEXT NOT NULL,
    reason TEXT NOT NULL,
    withdrawn_by TEXT NOT NULL,
    withdrawn_at TIMESTAMP NOT NULL,
    reported_in TEXT,
    PRIMARY KEY (tumor_id, recipient)
);
CREATE INDEX tumor_withdrawals_recipient ON tumor_withdrawals (recipient, reported_in);
