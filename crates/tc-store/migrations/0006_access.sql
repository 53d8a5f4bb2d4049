-- placeholder, filled in by the access work
SELECT 1;
