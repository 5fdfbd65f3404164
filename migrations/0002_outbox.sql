-- The transactional outbox: everything that must happen later (expiry, reminders, notifications,
-- recurring runs) is a row written in the same transaction as the change that caused it. Postgres is
-- the truth; BullMQ only delivers (a relay enqueues due rows, a sweeper re-enqueues lost ones).
CREATE TABLE outbox (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- Business key (SPEC §5 `<kind>:<object id>:<occurrence>`); the BullMQ job id is derived from it.
  key TEXT NOT NULL UNIQUE CHECK (length(key) BETWEEN 1 AND 200),
  kind TEXT NOT NULL,
  payload JSONB NOT NULL DEFAULT '{}'::jsonb,
  due_at TIMESTAMPTZ NOT NULL,
  -- pending → done | cancelled | dead (exhausted retries, with last_error)
  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'cancelled', 'dead')),
  attempts INT NOT NULL DEFAULT 0,
  last_error TEXT,
  enqueued_at TIMESTAMPTZ,
  done_at TIMESTAMPTZ,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
)
-- ;;
CREATE INDEX outbox_due ON outbox (due_at) WHERE state = 'pending'
