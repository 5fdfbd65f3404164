-- Red packets (红包). Statements are separated by `-- ;;` lines.
-- The total is held at creation in an escrow account of the packet (kind 'escrow', owner 'redpacket:<id>'); its
-- shares are planned then and stored as slots. A claim takes a free slot (FOR UPDATE SKIP LOCKED, so claimants do
-- not queue on one row) and pays it out with one transfer `packet:<id>:<slot>`; at its deadline the rest goes back
-- to the sender with one transfer `packet:<id>:return`, exactly once.
CREATE TABLE redpackets (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- The delivery that sent it: sending twice from one delivery is one packet.
  key TEXT NOT NULL UNIQUE CHECK (length(key) BETWEEN 1 AND 200),
  platform TEXT NOT NULL CHECK (platform IN ('telegram', 'discord', 'sandbox')),
  chat_id TEXT NOT NULL CHECK (length(chat_id) BETWEEN 1 AND 64),
  sender BIGINT NOT NULL REFERENCES people (id),
  currency CHAR(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  total BIGINT NOT NULL CHECK (total > 0),
  shares INTEGER NOT NULL CHECK (shares BETWEEN 1 AND 1000),
  mode TEXT NOT NULL CHECK (mode IN ('random', 'equal')),
  note TEXT,
  -- The card's language and time zone: the sender's when they sent it.
  locale TEXT NOT NULL CHECK (locale IN ('en', 'zh-CN')),
  timezone TEXT NOT NULL CHECK (length(timezone) BETWEEN 1 AND 64),
  -- The Claim button: a 'once' group action (each person at most once).
  action_id TEXT NOT NULL UNIQUE REFERENCES group_actions (id),
  -- open → done (every share claimed) or expired (the rest went back to the sender by `return_transfer`).
  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'done', 'expired')),
  return_transfer BIGINT REFERENCES transfers (id),
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  expires_at TIMESTAMPTZ NOT NULL,
  finished_at TIMESTAMPTZ,
  CHECK (total >= shares),
  CHECK ((state = 'open') = (finished_at IS NULL))
)
-- ;;
-- The planned shares. A slot is claimed once (claimed_by set by the statement that takes it) and paid by
-- `transfer_id` in the same transaction; a person holds at most one slot of a packet.
CREATE TABLE redpacket_slots (
  packet_id BIGINT NOT NULL REFERENCES redpackets (id),
  slot INTEGER NOT NULL CHECK (slot >= 0),
  amount BIGINT NOT NULL CHECK (amount > 0),
  claimed_by BIGINT REFERENCES people (id),
  claimed_at TIMESTAMPTZ,
  transfer_id BIGINT REFERENCES transfers (id),
  PRIMARY KEY (packet_id, slot),
  UNIQUE (packet_id, claimed_by),
  CHECK ((claimed_by IS NULL) = (claimed_at IS NULL)),
  CHECK ((claimed_by IS NULL) = (transfer_id IS NULL))
)
-- ;;
CREATE INDEX redpacket_slots_free ON redpacket_slots (packet_id, slot) WHERE claimed_by IS NULL
-- ;;
-- The per-person claim rate: a person's recent claims, newest first.
CREATE INDEX redpacket_slots_claimant ON redpacket_slots (claimed_by, claimed_at) WHERE claimed_by IS NOT NULL
-- ;;
CREATE INDEX redpackets_due ON redpackets (expires_at) WHERE state = 'open'
