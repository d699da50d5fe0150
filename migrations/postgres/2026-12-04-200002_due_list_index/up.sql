-- The due list seeks patients in (Date of Last Contact, id) order, a page at a time.
CREATE INDEX patients_last_contact ON patients (date_of_last_contact, id);
