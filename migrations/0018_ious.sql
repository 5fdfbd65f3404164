-- IOUs between friends. Statements are separated by `-- ;;` lines.
-- An IOU is an obligation beside the ledger: the money itself moves only by ledger transfers (the loan lender →
-- borrower when it opens, repayments borrower → lender), each linked to the IOU by an event. A borrow ask's funded
-- part opens an IOU with `source = 'borrow'` and the part's reference (its money already moved by the ask's own
-- transfer); a settle-up applies one multi-leg unit and records a `repaid` event per IOU it closes, naming its leg's
-- transfer or, when legs net several debts, the unit's batch ref. `platform`/`chat_id` say which chat an IOU was
-- made in (a settle-up clears a chat's IOUs). offered → open (confirmed by the borrower) → repaid | forgiven; offered → void (declined or past
-- its confirmation TTL). Only the open ones are reminded.
CREATE TABLE ious (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- The delivery that offered it: offering twice from one delivery is one IOU.
  key TEXT NOT NULL UNIQUE CHECK (length(key) BETWEEN 1 AND 200),
  source TEXT NOT NULL DEFAULT 'iou' CHECK (source IN ('iou', 'borrow')),
  -- `borrow:<ask id>:<part>` for a funded borrow part.
  source_ref TEXT UNIQUE CHECK (length(source_ref) BETWEEN 1 AND 200),
  lender BIGINT NOT NULL REFERENCES people (id),
  borrower BIGINT NOT NULL REFERENCES people (id),
  CHECK (lender <> borrower),
  amount BIGINT NOT NULL CHECK (amount > 0),
  currency CHAR(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  -- Running totals of the `repaid` and `forgiven` events (the events are the history; these are for locking reads).
  repaid BIGINT NOT NULL DEFAULT 0 CHECK (repaid >= 0),
  forgiven BIGINT NOT NULL DEFAULT 0 CHECK (forgiven >= 0),
  CHECK (repaid + forgiven <= amount),
  note TEXT CHECK (length(note) <= 200),
  -- 'lend': the loan moves through chipin when confirmed; 'record': money that changed hands outside chipin.
  mode TEXT NOT NULL CHECK (mode IN ('lend', 'record')),
  state TEXT NOT NULL DEFAULT 'offered' CHECK (state IN ('offered', 'open', 'repaid', 'forgiven', 'void')),
  platform TEXT NOT NULL CHECK (platform IN ('telegram', 'discord', 'sandbox')),
  chat_id TEXT NOT NULL CHECK (length(chat_id) BETWEEN 1 AND 64),
  -- The due day in the lender's time zone; reminders are anchored at `due_at` (09:00 that day there), and it is late
  -- from `late_after` (the start of the next day there).
  due_on DATE NOT NULL,
  time_zone TEXT NOT NULL,
  due_at TIMESTAMPTZ NOT NULL,
  late_after TIMESTAMPTZ NOT NULL,
  lend_transfer_id BIGINT REFERENCES transfers (id),
  -- The reminder waiting in the outbox (`iou.remind:<id>:<n>`), cancelled when the IOU closes or moves its date.
  remind_key TEXT,
  -- The last reminder sent (the policy's next one comes after it; null: none yet, counted from confirmation).
  reminded_at TIMESTAMPTZ,
  nudged_at TIMESTAMPTZ,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  confirmed_at TIMESTAMPTZ,
  closed_at TIMESTAMPTZ,
  -- The borrower's record, set when it closes: repaid on time, repaid late, or forgiven (in whole or the rest).
  result TEXT CHECK (result IN ('on_time', 'late', 'forgiven')),
  CHECK ((state IN ('repaid', 'forgiven')) = (result IS NOT NULL))
)
-- ;;
CREATE INDEX ious_pair_open ON ious (borrower, lender, currency, id) WHERE state = 'open'
-- ;;
CREATE INDEX ious_lender ON ious (lender, state)
-- ;;
-- What happened to an IOU, in order; nothing is edited away (rows cannot be updated or deleted).
CREATE TABLE iou_events (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  iou_id BIGINT NOT NULL REFERENCES ious (id),
  kind TEXT NOT NULL CHECK (
    kind IN (
      'offered', 'confirmed', 'voided', 'repaid', 'forgiven', 'extend_asked', 'extended',
      'extend_refused', 'nudged', 'closed'
    )
  ),
  -- Who did it (null: chipin itself, e.g. a void at the TTL).
  actor BIGINT REFERENCES people (id),
  amount BIGINT CHECK (amount > 0),
  transfer_id BIGINT REFERENCES transfers (id),
  -- The ledger unit that cleared it when no single leg did: a settle-up nets debts (A owes B, B owes C → A pays C),
  -- so each IOU it clears gets a `repaid` event naming the unit's `batch_ref` instead of one transfer.
  batch_ref TEXT CHECK (length(batch_ref) BETWEEN 1 AND 200),
  -- A due date asked for or granted (`extend_asked`, `extended`, `extend_refused`).
  due_on DATE,
  at TIMESTAMPTZ NOT NULL DEFAULT now()
)
-- ;;
CREATE INDEX iou_events_of ON iou_events (iou_id, id)
-- ;;
CREATE FUNCTION iou_events_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'iou events are append-only: % is not allowed', TG_OP USING ERRCODE = 'restrict_violation';
END
$$
-- ;;
CREATE TRIGGER iou_events_no_update_delete BEFORE UPDATE OR DELETE ON iou_events
  FOR EACH ROW EXECUTE FUNCTION iou_events_are_append_only()
-- ;;
-- A borrower's request to move a due date, answered by the lender (one open at a time per IOU).
CREATE TABLE iou_extensions (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  iou_id BIGINT NOT NULL REFERENCES ious (id),
  due_on DATE NOT NULL,
  state TEXT NOT NULL DEFAULT 'asked' CHECK (state IN ('asked', 'accepted', 'refused', 'dropped')),
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  answered_at TIMESTAMPTZ
)
-- ;;
CREATE UNIQUE INDEX iou_extensions_one_open ON iou_extensions (iou_id) WHERE state = 'asked'
