-- What administrators did that changes who or what the data can name (DESIGN §3.6): erasures,
-- token creation. Entries carry counts and names of tokens, never a user identifier or pseudonym.
CREATE TABLE IF NOT EXISTS audit_log (
  at DateTime64(3, 'UTC'),
  id String,
  actor String,
  action LowCardinality(String),
  detail String
) ENGINE = MergeTree
ORDER BY (at, id);
