DROP TABLE imports;
DROP TABLE submission_items;
DROP TABLE submissions;
