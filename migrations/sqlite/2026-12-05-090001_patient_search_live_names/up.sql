-- Patient search at scale (issue 15): a one-facility last-name search read ~500 candidate rows
-- per page, and every candidate's table row was fetched only to test `status <> 'deleted'`
-- before the scope probe rejected 9 in 10. With the status test in the index predicate, the
-- (name, id) index alone answers name + status + scope (an index-only scan on PostgreSQL, a
-- deferred table seek on SQLite), and only the rows of the page are read.
CREATE INDEX patients_live_name_last ON patients (name_last, id) WHERE status <> 'deleted';
CREATE INDEX patients_live_name_last_soundex ON patients (name_last_soundex, id) WHERE status <> 'deleted';
