DROP TABLE facilities;
