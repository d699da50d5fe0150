DROP INDEX patients_last_contact;
