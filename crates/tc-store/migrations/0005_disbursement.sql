-- placeholder, filled in by the disbursement work
SELECT 1;
