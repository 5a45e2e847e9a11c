-- Marketplace orders (project items), the order event cursor and resource aliases.
--
-- Only minimised order fields exist here: no owner e-mail, names, project name, organisation,
-- webpage, countries, offer properties, vouchers, user secrets or free-text status values
-- (reference/orders-and-privacy.md Part B #7). The owner is an HMAC pseudonym, the same one usage
-- records carry, so `user_resource_window` linkage can join on it.

-- One row per order, replaced as a whole. The version comes from the source (the latest event
-- time, then the number of known status changes), so a replayed or older observation never wins
-- over a newer one and a late status event (more facts, same latest time) does.
CREATE TABLE IF NOT EXISTS orders (
  order_ref String,
  instance LowCardinality(String),
  project_id UInt64,
  item_id UInt64,
  status LowCardinality(String),
  created_at Nullable(DateTime64(3, 'UTC')),
  first_event_at Nullable(DateTime64(3, 'UTC')),
  last_event_at Nullable(DateTime64(3, 'UTC')),
  -- Facts: every status change learnt (from '' = unknown predecessor). Unioned on every merge.
  status_changes Array(Tuple(at DateTime64(3, 'UTC'), from_status String, to_status String)),
  -- Derived from the facts on every merge: the effective history and the active windows
  -- [window_from[i], window_to[i]), window_to NULL while open.
  status_history Array(Tuple(at DateTime64(3, 'UTC'), status String)),
  window_from Array(DateTime64(3, 'UTC')),
  window_to Array(Nullable(DateTime64(3, 'UTC'))),
  order_type LowCardinality(String),
  open_access UInt8,
  service_name String,
  offer_name String,
  category String,
  -- Resource hints from the offer's OMS parameters; '' = absent. Resolution through the aliases
  -- happens at read time, so aliases registered after the order arrived still apply.
  resource_pid String,
  provider_hint String,
  owner_pseudo String,
  customer_typology LowCardinality(String),
  scientific_domains Array(String),
  version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY order_ref;

-- Where the Marketplace event stream has been read to, per source (instance and OMS). Written
-- only after the orders of the page it passes are stored. Versioned by the cursor's own position.
CREATE TABLE IF NOT EXISTS order_cursor (
  source String,
  timestamp DateTime64(3, 'UTC'),
  seen Array(String),
  version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY source;

-- Resource aliases: legacy ids, service names, other PIDs → one canonical PID, plus the
-- resource's provider when the operator declares it. One row per PID, replaced as a whole.
CREATE TABLE IF NOT EXISTS resource_aliases (
  pid String,
  aliases Array(String),
  provider String,
  updated_at DateTime64(3, 'UTC'),
  version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY pid;
