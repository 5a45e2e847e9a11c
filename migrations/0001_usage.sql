-- Usage records and their pre-aggregates.
--
-- Ingest writes to usage_ingest (Null engine) only. Each row carries a sign: +1 for the new version
-- of a record, -1 for the version it replaces (looked up by the writer). Materialised views fan the
-- rows out: +1 rows become the raw record; every row adds its signed contribution to the daily sums
-- and to the per-user monthly counts, so the pre-aggregates stay exact when a record is replaced.

CREATE TABLE IF NOT EXISTS usage_ingest (
  provider String,
  record_id String,
  resource String,
  metric String,
  value Float64,
  start DateTime64(3, 'UTC'),
  end DateTime64(3, 'UTC'),
  at DateTime64(3, 'UTC'),
  user_id String,
  user_group String,
  order_ref String,
  installation String,
  version UInt64,
  sign Int8,
  -- 1 when the record's metric (or the metric of the version it replaces) is a level metric.
  track_level UInt8 DEFAULT 0,
  -- On a -1 row: 1 when the replacement moves this user out of its cell-month, so the cell's
  -- distinct-user set in usage_monthly is no longer exact.
  users_dirty UInt8 DEFAULT 0
) ENGINE = Null;

-- `at` is the instant a record is accounted at: just before `end` (a day-long record ending at
-- midnight belongs to that day, not the next), or `end` for an instantaneous record.
CREATE TABLE IF NOT EXISTS usage_records (
  provider LowCardinality(String),
  record_id String,
  resource LowCardinality(String),
  metric LowCardinality(String),
  value Float64,
  start DateTime64(3, 'UTC'),
  end DateTime64(3, 'UTC'),
  at DateTime64(3, 'UTC'),
  user_id String,
  user_group LowCardinality(String),
  order_ref String,
  installation LowCardinality(String),
  version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (provider, record_id)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS usage_ingest_to_records TO usage_records AS
SELECT provider, record_id, resource, metric, value, start, end, at, user_id, user_group, order_ref, installation, version
FROM usage_ingest WHERE sign = 1;

-- The deduplicated records of level metrics (max/avg/last) alone, so level reports never scan the
-- whole raw table. A record that stops being a level record gets a tombstone version here.
CREATE TABLE IF NOT EXISTS usage_levels AS usage_records
ENGINE = ReplacingMergeTree(version)
ORDER BY (provider, record_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS usage_ingest_to_levels TO usage_levels AS
SELECT provider, record_id, resource, metric, value, start, end, at, user_id, user_group, order_ref, installation, version
FROM usage_ingest WHERE sign = 1 AND track_level = 1;

CREATE TABLE IF NOT EXISTS usage_daily (
  provider LowCardinality(String),
  resource LowCardinality(String),
  metric LowCardinality(String),
  user_group LowCardinality(String),
  order_ref String,
  installation LowCardinality(String),
  day Date,
  -- Decimal, not Float64: adding a value and later subtracting it again must give back the exact sum.
  value Decimal(38, 9),
  records Int64
) ENGINE = SummingMergeTree((value, records))
ORDER BY (metric, day, provider, resource, user_group, order_ref, installation)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS usage_ingest_to_daily TO usage_daily AS
SELECT provider, resource, metric, user_group, order_ref, installation, toDate(at) AS day,
       toDecimal128(value, 9) * sign AS value, toInt64(sign) AS records
FROM usage_ingest;

CREATE TABLE IF NOT EXISTS metric_definitions (
  id String,
  unit String,
  aggregation LowCardinality(String),
  description String,
  updated_at DateTime64(3, 'UTC'),
  version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY id;

CREATE TABLE IF NOT EXISTS api_tokens (
  token_hash String,
  name String,
  role LowCardinality(String),
  providers Array(String),
  created_at DateTime64(3, 'UTC'),
  revoked UInt8,
  version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY token_hash;

-- Monthly cells: what whole-month reports read (a few rows per cell and month) — signed sums and
-- the distinct-user set (128-bit hashes of pseudonyms). A set cannot forget a member, so a
-- replacement that moves a user out of a cell marks the cell-month dirty (usage_users_dirty) and
-- reports recount that cell's users from the deduplicated raw records.
CREATE TABLE IF NOT EXISTS usage_monthly (
  provider LowCardinality(String),
  resource LowCardinality(String),
  metric LowCardinality(String),
  user_group LowCardinality(String),
  order_ref String,
  installation LowCardinality(String),
  month Date,
  value SimpleAggregateFunction(sum, Decimal(38, 9)),
  records SimpleAggregateFunction(sum, Int64),
  users AggregateFunction(uniqExact, String)
) ENGINE = AggregatingMergeTree
ORDER BY (metric, month, provider, resource, user_group, order_ref, installation)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS usage_ingest_to_monthly TO usage_monthly AS
SELECT provider, resource, metric, user_group, order_ref, installation, toStartOfMonth(at) AS month,
       sum(toDecimal128(value, 9) * sign) AS value, sum(toInt64(sign)) AS records,
       uniqExactStateIf(user_id, sign = 1 AND user_id != '') AS users
FROM usage_ingest
GROUP BY provider, resource, metric, user_group, order_ref, installation, month;

CREATE TABLE IF NOT EXISTS usage_users_dirty (
  provider LowCardinality(String),
  resource LowCardinality(String),
  metric LowCardinality(String),
  user_group LowCardinality(String),
  order_ref String,
  installation LowCardinality(String),
  month Date
) ENGINE = ReplacingMergeTree
ORDER BY (metric, month, provider, resource, user_group, order_ref, installation);

CREATE MATERIALIZED VIEW IF NOT EXISTS usage_ingest_to_users_dirty TO usage_users_dirty AS
SELECT provider, resource, metric, user_group, order_ref, installation, toStartOfMonth(at) AS month
FROM usage_ingest WHERE sign = -1 AND users_dirty = 1;
