-- placeholder, filled in by the benefits work (retirement applications, deaths, recovery cases)
SELECT 1;
