-- The transactional outbox: calls to other services, written in the same transaction as the change that causes
-- them and delivered afterwards by the relay. `seq` fixes the delivery order within an ordering key (writers
-- of one key are serialised by an advisory lock, so its order is also their commit order).
CREATE TABLE outbox (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id UUID NOT NULL UNIQUE,
  clinic_id TEXT NOT NULL,
  ordering_key TEXT NOT NULL,
  target TEXT NOT NULL,
  payload BYTEA NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TIMESTAMPTZ NOT NULL,
  lease_token TEXT,
  lease_until TIMESTAMPTZ,
  last_error TEXT,
  created_at TIMESTAMPTZ NOT NULL,
  settled_at TIMESTAMPTZ
);

-- The relay's question: the oldest unsettled message of each ordering key.
CREATE INDEX outbox_pending_by_key ON outbox (ordering_key, seq) WHERE state = 'pending';
-- The retention sweep.
CREATE INDEX outbox_delivered_by_time ON outbox (settled_at) WHERE state = 'delivered';
