-- Locked pots and closing a fund by vote. Statements are separated by `-- ;;` lines.
-- A pot is a fund with a beneficiary and a date: anyone adds, nothing leaves before `locked_until`, and then the
-- maturity job pays the whole balance to the beneficiary (state 'matured'). Both or neither are set.
ALTER TABLE funds ADD COLUMN beneficiary BIGINT REFERENCES people (id)
-- ;;
ALTER TABLE funds ADD COLUMN locked_until TIMESTAMPTZ
-- ;;
ALTER TABLE funds ADD CONSTRAINT funds_pot CHECK ((beneficiary IS NULL) = (locked_until IS NULL))
-- ;;
ALTER TABLE funds DROP CONSTRAINT funds_state_check
-- ;;
ALTER TABLE funds ADD CONSTRAINT funds_state_check CHECK (state IN ('open', 'closed', 'matured'))
-- ;;
-- A vote to close a fund (the group action `action_id`, Yes / No). open → passed (the balance went back to the
-- contributors in proportion to what each put in, in the same transaction) or failed (at the deadline, or the
-- fund was no longer open when it passed), exactly once.
CREATE TABLE fund_closes (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  key TEXT NOT NULL UNIQUE CHECK (length(key) BETWEEN 1 AND 200),
  fund_id BIGINT NOT NULL REFERENCES funds (id),
  requester BIGINT NOT NULL REFERENCES people (id),
  action_id TEXT NOT NULL UNIQUE REFERENCES group_actions (id),
  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'passed', 'failed')),
  failure TEXT CHECK (failure IN ('vote', 'gone')),
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  decided_at TIMESTAMPTZ,
  CHECK ((state = 'open') = (decided_at IS NULL))
)
-- ;;
CREATE INDEX fund_closes_fund ON fund_closes (fund_id, id)
