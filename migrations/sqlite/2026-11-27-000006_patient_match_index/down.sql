DROP INDEX patients_facility_number;
