ALTER TABLE tumors RESET (fillfactor);
ALTER TABLE patients RESET (fillfactor);
