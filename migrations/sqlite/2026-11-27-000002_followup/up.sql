-- Follow-up: patient columns the due lists, rates and death clearance search on (derived from
-- the items, like the tumor columns), and the history of follow-up contacts.
ALTER TABLE patients ADD COLUMN date_of_birth TEXT;
ALTER TABLE patients ADD COLUMN vital_status TEXT;
ALTER TABLE patients ADD COLUMN date_of_last_contact TEXT;
UPDATE patients SET
    date_of_birth = json_extract(items, '$.dateOfBirth'),
    vital_status = json_extract(items, '$.vitalStatus'),
    date_of_last_contact = json_extract(items, '$.dateOfLastContact');
CREATE INDEX patients_date_of_birth ON patients (date_of_birth);
CREATE INDEX patients_vital_status ON patients (vital_status, date_of_last_contact);

CREATE TABLE patient_contacts (
    id TEXT NOT NULL PRIMARY KEY,
    patient_id TEXT NOT NULL REFERENCES patients (id),
    contact_date TEXT NOT NULL,
    vital_status TEXT NOT NULL,
    details TEXT NOT NULL,
    applied BOOLEAN NOT NULL,
    recorded_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX patient_contacts_patient ON patient_contacts (patient_id, contact_date);
