-- PostgreSQL leaves room on its pages for heap-only updates (fillfactor); SQLite has no such
-- setting, and the migration trees stay in step.
SELECT 1;
