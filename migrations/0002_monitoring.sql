-- Monitoring: topology, SLA report definitions, probe results, downtimes, recomputations, and the
-- materialised status timelines and daily A/R the availability reads and reports come from.
--
-- Configuration tables are ReplacingMergeTree keyed on their natural id, versioned by the writer's
-- clock; deletions are tombstones (deleted = 1) so every change is a plain insert.

CREATE TABLE IF NOT EXISTS topology_versions (
  date Date,
  body String,
  created_by String,
  created_at DateTime64(3, 'UTC'),
  version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY date;

CREATE TABLE IF NOT EXISTS sla_reports (
  name String,
  body String,
  updated_by String,
  updated_at DateTime64(3, 'UTC'),
  version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY name;

CREATE TABLE IF NOT EXISTS sla_recomputations (
  report String,
  id String,
  body String,
  reason String,
  requested_by String,
  requested_at DateTime64(3, 'UTC'),
  version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (report, id);

-- Raw probe results. The key is the result's identity, so a re-sent result is stored once. The
-- version is the status's severity: when the same key is sent with different statuses the worst
-- one stays, the rule that also picks between two results of one metric in the same second.
CREATE TABLE IF NOT EXISTS probe_results (
  timestamp DateTime64(3, 'UTC'),
  day Date MATERIALIZED toDate(timestamp),
  hostname String,
  service LowCardinality(String),
  metric LowCardinality(String),
  monitoring_host LowCardinality(String),
  status LowCardinality(String),
  severity UInt8,
  summary String,
  message String,
  actual_data String,
  received_at DateTime64(3, 'UTC')
) ENGINE = ReplacingMergeTree(severity)
PARTITION BY toYYYYMM(timestamp)
ORDER BY (day, hostname, service, metric, timestamp, monitoring_host);

-- The latest result of each metric per day, (second, severity, monitoring host) compared as a
-- tuple: the start-of-day status of the next day without reading raw results again.
CREATE TABLE IF NOT EXISTS probe_last (
  hostname String,
  service LowCardinality(String),
  metric LowCardinality(String),
  day Date,
  last SimpleAggregateFunction(max, Tuple(UInt32, UInt8, String))
) ENGINE = AggregatingMergeTree
ORDER BY (hostname, service, metric, day);

CREATE MATERIALIZED VIEW IF NOT EXISTS probe_results_to_last TO probe_last AS
SELECT hostname, service, metric, toDate(timestamp) AS day,
       max(tuple(toUInt32(toUnixTimestamp(timestamp)), severity, toString(monitoring_host))) AS last
FROM probe_results
GROUP BY hostname, service, metric, day;

CREATE TABLE IF NOT EXISTS downtimes (
  downtime_id String,
  endpoint_group String,
  hostname String,
  service String,
  start DateTime64(3, 'UTC'),
  end DateTime64(3, 'UTC'),
  reason String,
  providers Array(String),
  created_by String,
  deleted UInt8,
  updated_at DateTime64(3, 'UTC'),
  version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY downtime_id;

-- Materialised computations. Every recompute of (report, day, group) writes its rows with a new
-- version; availability_groups names the current version of each, and reads take only that one,
-- so rows of endpoints that left the topology never leak into figures.
CREATE TABLE IF NOT EXISTS availability_groups (
  report LowCardinality(String),
  day Date,
  endpoint_group String,
  present UInt8,
  carry_in String,
  computed_at DateTime64(3, 'UTC'),
  version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (report, day, endpoint_group);

CREATE TABLE IF NOT EXISTS availability_status (
  report LowCardinality(String),
  day Date,
  endpoint_group String,
  level LowCardinality(String),
  function String,
  service String,
  hostname String,
  metric String,
  at UInt32,
  status LowCardinality(String),
  version UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(day)
ORDER BY (report, endpoint_group, day, level, function, service, hostname, metric, at);

CREATE TABLE IF NOT EXISTS availability_daily (
  report LowCardinality(String),
  day Date,
  level LowCardinality(String),
  endpoint_group String,
  service String,
  hostname String,
  seconds_ok UInt32,
  seconds_warning UInt32,
  seconds_unknown UInt32,
  seconds_missing UInt32,
  seconds_critical UInt32,
  seconds_downtime UInt32,
  seconds_excluded UInt32,
  version UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(day)
ORDER BY (report, level, day, endpoint_group, service, hostname);

-- The recompute queue, durably. A mark says "(report, day, group) changed at seq" ('' = every
-- report / every group); a day is clean for a report up to availability_days.clean_seq.
CREATE TABLE IF NOT EXISTS availability_dirty (
  report String,
  day Date,
  endpoint_group String,
  seq UInt64
) ENGINE = ReplacingMergeTree(seq)
ORDER BY (report, day, endpoint_group);

CREATE TABLE IF NOT EXISTS availability_days (
  report LowCardinality(String),
  day Date,
  clean_seq UInt64,
  computed_at DateTime64(3, 'UTC')
) ENGINE = ReplacingMergeTree(clean_seq)
ORDER BY (report, day);

-- Generated monthly SLA reports, as the JSON document served; data_seq is the newest clean_seq of
-- the month's days when it was generated, so a later recompute makes it stale.
CREATE TABLE IF NOT EXISTS availability_reports (
  report String,
  month String,
  body String,
  data_seq UInt64,
  generated_at DateTime64(3, 'UTC'),
  version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (report, month);
