-- One queued or running submission per recipient (issue 16): a build reads what the recipient
-- holds (`recipient_tumors`) and records what it sent, so two builds for one recipient at once
-- could both carry the same pending tumors. The partial unique index makes the database refuse
-- the second, also across service instances sharing one database. Older duplicates are failed
-- first (the newest of each recipient's active batches loses), so the index can be built.
UPDATE submissions
SET status = 'failed',
    error = 'another submission to this recipient was queued or running; create it again'
WHERE status IN ('queued', 'running')
  AND EXISTS (
    SELECT 1 FROM submissions older
    WHERE older.recipient = submissions.recipient
      AND older.status IN ('queued', 'running')
      AND older.id < submissions.id
  );
CREATE UNIQUE INDEX submissions_one_active_per_recipient
    ON submissions (recipient) WHERE status IN ('queued', 'running');
