DROP TABLE facility_profiles;
