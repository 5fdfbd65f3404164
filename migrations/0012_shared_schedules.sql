-- Shared recurring transfers (/every … from <fund> shares @a:1 @b:2). Statements are separated by `-- ;;` lines.
-- A shared schedule names the group fund whose members pay it; `schedules.payer` stays the person who typed it (one
-- of the payers). It stays 'awaiting' until every payer accepted their share with their own button; each run then
-- moves every share in one ledger unit (ref `schedule:<id>:<n>`, legs `schedule:<id>:<n>#<position>`).
ALTER TABLE schedules ADD COLUMN fund_id BIGINT REFERENCES funds (id)
-- ;;
-- Who pays what part of each run: `weight` of the sum of weights, split in minor units (remainders one unit at a
-- time). `position` is the order they were named in, which fixes each leg's ref and who gets a remainder unit.
CREATE TABLE schedule_shares (
  schedule_id BIGINT NOT NULL REFERENCES schedules (id),
  person_id BIGINT NOT NULL REFERENCES people (id),
  position SMALLINT NOT NULL CHECK (position >= 0),
  weight INT NOT NULL CHECK (weight BETWEEN 1 AND 1000),
  -- Set once by the payer's tap on their Accept button; never cleared.
  accepted_at TIMESTAMPTZ,
  PRIMARY KEY (schedule_id, person_id),
  UNIQUE (schedule_id, position)
)
-- ;;
-- /schedules lists the schedules a person shares in as well as those they pay alone.
CREATE INDEX schedule_shares_person ON schedule_shares (person_id, schedule_id DESC)
