-- Embedded ingest lands usage rows in the data files of these File(Native) tables, appended by the
-- writer itself (see src/pipeline/usage-landing.ts): no statement per batch for the engine, which
-- runs one at a time. Columns as usage_ingest, instants as epoch milliseconds. The INSERT of no rows
-- creates the data file, without which the table cannot be read. The StripeLog tables of 0007 are
-- moved and dropped by the writer at start.
CREATE TABLE IF NOT EXISTS usage_landing_file_a (
  provider String, record_id String, resource String, metric String, value Float64, start Int64, end Int64, at Int64,
  user_id String, user_group String, order_ref String, installation String, version UInt64, sign Int8, track_level UInt8, users_dirty UInt8
) ENGINE = File(Native);
CREATE TABLE IF NOT EXISTS usage_landing_file_b AS usage_landing_file_a ENGINE = File(Native);
INSERT INTO usage_landing_file_a (provider) SELECT '' FROM numbers(0);
INSERT INTO usage_landing_file_b (provider) SELECT '' FROM numbers(0);
