DROP TABLE patient_contacts;
DROP INDEX patients_vital_status;
DROP INDEX patients_date_of_birth;
ALTER TABLE patients DROP COLUMN date_of_last_contact;
ALTER TABLE patients DROP COLUMN vital_status;
ALTER TABLE patients DROP COLUMN date_of_birth;
