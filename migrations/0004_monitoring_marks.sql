-- The recompute queue's durable marks, per writing process (replaces availability_dirty of 0002).
-- A mark says "(report, day, group) changed at seq" ('' = every report / every group), written by
-- process `source`; a day is clean for a report up to availability_days.clean_seq. Each process
-- keeps its own latest mark per key, so one process can tell the marks of others (a Kafka sink
-- elsewhere) from its own. seq is the writer's clock in microseconds; marks are recomputed within
-- seconds of being written, so after 90 days they are only history.
CREATE TABLE IF NOT EXISTS availability_marks (
  report String,
  day Date,
  endpoint_group String,
  source String,
  seq UInt64
) ENGINE = ReplacingMergeTree(seq)
ORDER BY (report, day, endpoint_group, source)
TTL toDateTime(intDiv(seq, 1000000)) + INTERVAL 90 DAY;

-- Marks written before this migration count as another process's. Idempotent: re-run after the
-- DROP it copies from an empty table; re-run before it inserts the same keys and seqs again,
-- which the table keeps once.
CREATE TABLE IF NOT EXISTS availability_dirty (report String, day Date, endpoint_group String, seq UInt64)
ENGINE = ReplacingMergeTree(seq) ORDER BY (report, day, endpoint_group);

INSERT INTO availability_marks (report, day, endpoint_group, source, seq)
SELECT report, day, endpoint_group, 'before-0004', max(seq) FROM availability_dirty GROUP BY report, day, endpoint_group;

DROP TABLE IF EXISTS availability_dirty;
