-- Registry: employers, insured persons, pensioners (filled in by the registry work).
SELECT 1;
