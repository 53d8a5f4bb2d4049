-- A plan submitted after its deadline (policy/calendar.toml: a county by calendar.county_plan_day
-- of the month before, a city by calendar.city_plan_day): the breach, one row per late version.
CREATE TABLE IF NOT EXISTS plan_breaches (
    month       BIGINT NOT NULL,
    region      BIGINT NOT NULL,
    version     BIGINT NOT NULL,
    level       TEXT NOT NULL CHECK (level IN ('county', 'city')),
    deadline    TEXT NOT NULL,
    submitted_on TEXT NOT NULL,
    days_late   BIGINT NOT NULL CHECK (days_late > 0),
    PRIMARY KEY (month, region, version)
);
