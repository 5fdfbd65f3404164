-- Settle-up (/settle in a group): the fewest transfers that clear the open IOUs among the chat's members. Statements
-- are separated by `-- ;;` lines. open → done (every payer approved their leg and all legs ran as one ledger unit
-- `settle:<id>`, closing every IOU it covers) or stale (an IOU it covers changed before the last approval: nothing
-- moved; /settle again plans afresh).
CREATE TABLE settlements (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- The delivery that asked for it: asking twice from one delivery is one settle-up.
  key TEXT NOT NULL UNIQUE CHECK (length(key) BETWEEN 1 AND 200),
  platform TEXT NOT NULL CHECK (platform IN ('telegram', 'discord', 'sandbox')),
  chat_id TEXT NOT NULL CHECK (length(chat_id) BETWEEN 1 AND 64),
  requester BIGINT NOT NULL REFERENCES people (id),
  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'done', 'stale')),
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  decided_at TIMESTAMPTZ,
  CHECK ((state = 'open') = (decided_at IS NULL))
)
-- ;;
-- One transfer of the plan: `payer` pays `payee`; the payer approves it with their own button (`action_id`).
CREATE TABLE settlement_legs (
  settlement_id BIGINT NOT NULL REFERENCES settlements (id),
  position SMALLINT NOT NULL CHECK (position >= 0),
  payer BIGINT NOT NULL REFERENCES people (id),
  payee BIGINT NOT NULL REFERENCES people (id),
  amount BIGINT NOT NULL CHECK (amount > 0),
  currency CHAR(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  action_id TEXT NOT NULL,
  approved_at TIMESTAMPTZ,
  PRIMARY KEY (settlement_id, position),
  CHECK (payer <> payee)
)
-- ;;
-- The IOUs a settle-up clears, with what each still owed when it was planned (it runs only if that is unchanged).
CREATE TABLE settlement_ious (
  settlement_id BIGINT NOT NULL REFERENCES settlements (id),
  iou_id BIGINT NOT NULL REFERENCES ious (id),
  outstanding BIGINT NOT NULL CHECK (outstanding > 0),
  PRIMARY KEY (settlement_id, iou_id)
)
