DROP TABLE audit_log;
DROP TABLE tumors;
DROP TABLE patients;
