-- placeholder, filled in by the collection work
SELECT 1;
