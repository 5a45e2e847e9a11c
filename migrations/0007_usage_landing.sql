-- Embedded ingest lands usage_ingest rows here first (see src/pipeline/usage-landing.ts): an
-- append-only table with no views is cheap to insert into for every group-commit batch, so a 202
-- stays durable while the views run on large moves. Two tables take turns: one receives, the
-- other moves into usage_ingest. Columns as the writer's TabSeparated lines (instants in epoch ms).
CREATE TABLE IF NOT EXISTS usage_landing_a (
  provider String,
  record_id String,
  resource String,
  metric String,
  value Float64,
  start Int64,
  end Int64,
  at Int64,
  user_id String,
  user_group String,
  order_ref String,
  installation String,
  version UInt64,
  sign Int8,
  track_level UInt8,
  users_dirty UInt8
) ENGINE = StripeLog;

CREATE TABLE IF NOT EXISTS usage_landing_b AS usage_landing_a ENGINE = StripeLog;
