-- Recurring transfers (/every) and muted reminder threads. Statements are separated by `-- ;;` lines.
-- A schedule: awaiting (the payer has not tapped Activate yet) → active → finished (its rule ran out)
-- | cancelled (/cancel, or never activated). Each occurrence n runs once: outbox `schedule.run:<id>:<n>`,
-- ledger ref `schedule:<id>:<n>`, one `schedule_runs` row.
CREATE TABLE schedules (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- The command's idempotency key: creating it twice returns the first.
  key TEXT NOT NULL UNIQUE CHECK (length(key) BETWEEN 1 AND 200),
  payer BIGINT NOT NULL REFERENCES people (id),
  payee BIGINT NOT NULL REFERENCES people (id),
  amount BIGINT NOT NULL CHECK (amount > 0),
  currency CHAR(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  note TEXT,
  -- The parsed schedule (core/schedules ScheduleSpec) and the time zone its wall-clock times are read in.
  spec JSONB NOT NULL,
  timezone TEXT NOT NULL CHECK (length(timezone) BETWEEN 1 AND 64),
  -- The wall clock (in `timezone`) the rule counts from, set on activation: 'YYYY-MM-DDTHH:MM:SS'.
  anchor TEXT CHECK (anchor ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}$'),
  platform TEXT NOT NULL CHECK (platform IN ('telegram', 'discord', 'sandbox')),
  chat_id TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'awaiting' CHECK (state IN ('awaiting', 'active', 'finished', 'cancelled')),
  -- The occurrence waiting to run (1-based) and when; failed tries of it so far (insufficient funds).
  next_n INT CHECK (next_n >= 1),
  next_at TIMESTAMPTZ,
  tries INT NOT NULL DEFAULT 0 CHECK (tries >= 0),
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  ended_at TIMESTAMPTZ,
  CHECK (payer <> payee),
  CHECK ((state = 'active') = (next_n IS NOT NULL AND next_at IS NOT NULL)),
  CHECK ((state IN ('finished', 'cancelled')) = (ended_at IS NOT NULL))
)
-- ;;
CREATE INDEX schedules_payer ON schedules (payer, id DESC)
-- ;;
-- What became of each occurrence: paid (with its transfer) or skipped (still short of money after the tries).
CREATE TABLE schedule_runs (
  schedule_id BIGINT NOT NULL REFERENCES schedules (id),
  n INT NOT NULL CHECK (n >= 1),
  state TEXT NOT NULL CHECK (state IN ('paid', 'skipped')),
  transfer_id BIGINT REFERENCES transfers (id),
  tries INT NOT NULL CHECK (tries >= 1),
  at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (schedule_id, n),
  CHECK ((state = 'paid') = (transfer_id IS NOT NULL))
)
-- ;;
-- "Stop reminding me": a person muted a thread (`request:<id>`, `schedule:<id>`, later `iou:<id>`…).
-- Reminders of a muted thread are not sent; other messages of the thread (money received) still are.
CREATE TABLE reminder_mutes (
  person_id BIGINT NOT NULL REFERENCES people (id),
  thread TEXT NOT NULL CHECK (length(thread) BETWEEN 1 AND 200),
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (person_id, thread)
)
