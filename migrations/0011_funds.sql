-- Group funds. Statements are separated by `-- ;;` lines.
-- A fund belongs to one group chat and has its own ledger account (kind 'fund', owner 'fund:<id>'); its money
-- leaves only by a spend its members passed by vote, paid in the transaction that closes the vote.
CREATE TABLE funds (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- The delivery that created it: creating twice from one delivery is one fund.
  key TEXT NOT NULL UNIQUE CHECK (length(key) BETWEEN 1 AND 200),
  platform TEXT NOT NULL CHECK (platform IN ('telegram', 'discord', 'sandbox')),
  chat_id TEXT NOT NULL CHECK (length(chat_id) BETWEEN 1 AND 64),
  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 32),
  -- The name as looked up: lower-cased, so "Trip" and "trip" are one fund in a chat.
  name_key TEXT NOT NULL CHECK (length(name_key) BETWEEN 1 AND 32),
  currency CHAR(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  created_by BIGINT NOT NULL REFERENCES people (id),
  target BIGINT CHECK (target > 0),
  -- Percent of the members who must vote for a spend to count.
  quorum_pct SMALLINT NOT NULL DEFAULT 50 CHECK (quorum_pct BETWEEN 1 AND 100),
  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (platform, chat_id, name_key)
)
-- ;;
-- Who votes on a fund's spending: its creator, everyone who added money, and people the creator added. Removing
-- someone keeps the row (removed_at) so the history still names them.
CREATE TABLE fund_members (
  fund_id BIGINT NOT NULL REFERENCES funds (id),
  person_id BIGINT NOT NULL REFERENCES people (id),
  role TEXT NOT NULL CHECK (role IN ('creator', 'contributor', 'added')),
  joined_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  removed_at TIMESTAMPTZ,
  PRIMARY KEY (fund_id, person_id)
)
-- ;;
-- A request to spend from a fund, decided by the vote `action_id` (a group action with Yes / No). open → passed
-- (paid by `transfer_id`, in the same transaction) or failed (at the deadline), exactly once.
CREATE TABLE fund_spends (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  key TEXT NOT NULL UNIQUE CHECK (length(key) BETWEEN 1 AND 200),
  fund_id BIGINT NOT NULL REFERENCES funds (id),
  requester BIGINT NOT NULL REFERENCES people (id),
  payee BIGINT NOT NULL REFERENCES people (id),
  amount BIGINT NOT NULL CHECK (amount > 0),
  reason TEXT,
  action_id TEXT NOT NULL UNIQUE REFERENCES group_actions (id),
  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'passed', 'failed')),
  -- Why a decided spend moved no money: 'vote' (not passed in time) or 'funds' (passed, but the fund was short).
  failure TEXT CHECK (failure IN ('vote', 'funds')),
  transfer_id BIGINT REFERENCES transfers (id),
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  decided_at TIMESTAMPTZ,
  CHECK ((state = 'open') = (decided_at IS NULL)),
  CHECK ((state = 'passed') = (transfer_id IS NOT NULL))
)
-- ;;
CREATE INDEX fund_spends_fund ON fund_spends (fund_id, id)
