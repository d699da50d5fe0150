-- Room on each page for a row's next version. A change to a tumor or a patient that leaves its
-- indexed columns alone (most abstracting: text, codes outside the searched ones, the edit
-- outcome) can then be a heap-only update, written on the same page without an entry in each
-- of the table's indexes (ten on tumors). Filled pages forced every such change into all of
-- them. Applies to pages written from now on; `VACUUM FULL` rewrites older ones.
ALTER TABLE tumors SET (fillfactor = 80);
ALTER TABLE patients SET (fillfactor = 80);
