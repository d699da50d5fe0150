-- PostgreSQL only (lz4 compression of the items columns); SQLite does not compress.
SELECT 1;
