-- Group collections (/collect, /split). Statements are separated by `-- ;;` lines.
-- A collection asks several people of one group chat for money: each owes a share (`collection_debtors`), paid
-- with one tap on the live card's Pay button into the collector's wallet (or into a fund of the chat). Each share
-- is paid by one ledger transfer whose ref is `collect:<collection>:<person>` (unique), so it is never paid twice.
CREATE TABLE collections (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- The delivery that created it: creating twice from one delivery is one collection.
  key TEXT NOT NULL UNIQUE CHECK (length(key) BETWEEN 1 AND 200),
  kind TEXT NOT NULL CHECK (kind IN ('collect', 'split')),
  platform TEXT NOT NULL CHECK (platform IN ('telegram', 'discord', 'sandbox')),
  chat_id TEXT NOT NULL CHECK (length(chat_id) BETWEEN 1 AND 64),
  collector BIGINT NOT NULL REFERENCES people (id),
  reason TEXT NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
  currency CHAR(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  -- Payments go into this fund of the chat (by name, through the funds service) instead of the collector's wallet.
  fund_name TEXT CHECK (length(fund_name) BETWEEN 1 AND 32),
  -- The card's language and time zone (the collector's, as the command was answered).
  locale TEXT NOT NULL CHECK (length(locale) BETWEEN 2 AND 16),
  time_zone TEXT NOT NULL CHECK (length(time_zone) BETWEEN 1 AND 64),
  -- A split: the collector's own share of the bill (not collected).
  collector_share BIGINT CHECK (collector_share >= 0),
  -- The card's buttons: Pay (everyone who owes), Remind and Close (the collector).
  pay_action TEXT NOT NULL UNIQUE REFERENCES group_actions (id),
  remind_action TEXT NOT NULL UNIQUE REFERENCES group_actions (id),
  close_action TEXT NOT NULL UNIQUE REFERENCES group_actions (id),
  -- open → complete (everyone paid or was excused) or closed (by the collector), exactly once.
  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'complete', 'closed')),
  -- The 24 h reminders sent so far, and when the next is due (its outbox key is `collect.remind:<id>:<n + 1>`).
  reminders_sent INTEGER NOT NULL DEFAULT 0 CHECK (reminders_sent >= 0),
  next_remind_at TIMESTAMPTZ,
  -- The collector's last "remind now" (at most one an hour).
  reminded_at TIMESTAMPTZ,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  ended_at TIMESTAMPTZ,
  CHECK ((state = 'open') = (ended_at IS NULL))
)
-- ;;
CREATE INDEX collections_chat ON collections (platform, chat_id, id)
-- ;;
-- Who owes what. unpaid → paid (by `transfer_id`) or excused (by the collector), exactly once.
CREATE TABLE collection_debtors (
  collection_id BIGINT NOT NULL REFERENCES collections (id),
  person_id BIGINT NOT NULL REFERENCES people (id),
  -- The order they were named in (the card lists them so).
  position INTEGER NOT NULL CHECK (position >= 0),
  amount BIGINT NOT NULL CHECK (amount > 0),
  state TEXT NOT NULL DEFAULT 'unpaid' CHECK (state IN ('unpaid', 'paid', 'excused')),
  transfer_id BIGINT UNIQUE REFERENCES transfers (id),
  settled_at TIMESTAMPTZ,
  PRIMARY KEY (collection_id, person_id),
  CHECK ((state = 'paid') = (transfer_id IS NOT NULL)),
  CHECK ((state = 'unpaid') = (settled_at IS NULL))
)
-- ;;
CREATE INDEX collection_debtors_person ON collection_debtors (person_id) WHERE state = 'unpaid'
