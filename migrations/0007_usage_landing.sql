-- Embedded ingest lands usage_ingest rows here first (see src/pipeline/usage-landing.ts): an
-- append-only table with no views is cheap to insert into for every group-commit batch, so a 202
-- stays durable while the views run on large moves. Two tables take turns: one receives, the
-- other moves into usage_ingest.
CREATE TABLE IF NOT EXISTS usage_landing_a AS usage_ingest ENGINE = StripeLog;
CREATE TABLE IF NOT EXISTS usage_landing_b AS usage_ingest ENGINE = StripeLog;
