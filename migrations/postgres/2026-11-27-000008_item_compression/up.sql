-- Items are kilobytes of JSON per row; pglz compression of them was the largest cost of a
-- bulk import on the server. lz4 is several times faster. Servers built without lz4 (or older
-- than 14) keep the default: the change is an optimisation, not a requirement.
DO $$
BEGIN
  EXECUTE 'ALTER TABLE tumors ALTER COLUMN items SET COMPRESSION lz4';
  EXECUTE 'ALTER TABLE patients ALTER COLUMN items SET COMPRESSION lz4';
EXCEPTION WHEN OTHERS THEN
  RAISE NOTICE 'lz4 compression unavailable, items keep the default: %', SQLERRM;
END
$$;
