-- Day-aligned usage reports read the deduplicated raw records, which they already scanned for
-- day-level distinct users; the daily pre-aggregate saved nothing for them and cost every insert a
-- fifth materialised view (~20 % of the engine's insert work, bench/ingest.bench.ts).
DROP VIEW IF EXISTS usage_ingest_to_daily;
DROP TABLE IF EXISTS usage_daily;
