-- The inbox (RELIABILITY rule 2: persist first, ACK second, process third). Every inbound platform
-- delivery is a row keyed on the platform's own id (SPEC §5: `tg:<bot id>:<update_id>`, …), inserted
-- before the platform gets its 200; a redelivery hits the primary key and is dropped. Rows are
-- processed from here, so a crash between the ACK and the work loses nothing.
CREATE TABLE inbox (
  key TEXT PRIMARY KEY CHECK (length(key) BETWEEN 1 AND 200),
  platform TEXT NOT NULL CHECK (length(platform) BETWEEN 1 AND 32),
  payload JSONB NOT NULL,
  -- received → done | failed (dead letter: attempts exhausted, with last_error). A row waiting for a
  -- retry stays received with locked_until in the future.
  state TEXT NOT NULL DEFAULT 'received' CHECK (state IN ('received', 'done', 'failed')),
  -- Claims so far (a claim counts even when the process dies before finishing).
  attempts INT NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  last_error TEXT,
  -- Lease of the processor that claimed the row, or the earliest retry; NULL when free.
  locked_until TIMESTAMPTZ,
  received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  processed_at TIMESTAMPTZ,
  CHECK ((state = 'received') = (processed_at IS NULL))
)
-- ;;
CREATE INDEX inbox_unprocessed ON inbox (received_at) WHERE state = 'received'
-- ;;
CREATE INDEX inbox_processed ON inbox (received_at) WHERE state <> 'received'
