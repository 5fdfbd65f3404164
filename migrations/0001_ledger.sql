-- The double-entry ledger (shared/LEDGER.md). Statements are separated by `-- ;;` lines.
-- Accounts: one row per (owner, currency). Cached totals are a cache of the transfers, audited
-- by `chipin check` (INV-2); the transfers are the truth and are never updated or deleted.
CREATE TABLE accounts (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('wallet', 'fund', 'escrow', 'system')),
  owner TEXT NOT NULL,
  currency CHAR(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  -- debits_must_not_exceed_credits: wallets, funds and escrows can never go below zero.
  guarded BOOLEAN NOT NULL,
  debits_pending BIGINT NOT NULL DEFAULT 0 CHECK (debits_pending >= 0),
  debits_posted BIGINT NOT NULL DEFAULT 0 CHECK (debits_posted >= 0),
  credits_pending BIGINT NOT NULL DEFAULT 0 CHECK (credits_pending >= 0),
  credits_posted BIGINT NOT NULL DEFAULT 0 CHECK (credits_posted >= 0),
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (owner, currency),
  CHECK (guarded = (kind <> 'system')),
  -- The balance rule enforced by the database itself, in addition to the ledger's check.
  CHECK (NOT guarded OR debits_pending + debits_posted <= credits_posted)
)
-- ;;
CREATE TABLE transfers (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- Idempotency reference (SPEC §5): tg:<bot>:<update>, act:<id>, <kind>:<object>:<n>, legs <key>#<n>.
  ref TEXT NOT NULL UNIQUE CHECK (length(ref) BETWEEN 1 AND 200),
  debit_account BIGINT NOT NULL REFERENCES accounts (id),
  credit_account BIGINT NOT NULL REFERENCES accounts (id),
  amount BIGINT NOT NULL CHECK (amount > 0),
  currency CHAR(3) NOT NULL,
  -- posted: moves posted totals; pending: a hold; voided: releases a hold (pending_id set).
  -- A posted row with pending_id set is the post of that hold.
  state TEXT NOT NULL CHECK (state IN ('posted', 'pending', 'voided')),
  pending_id BIGINT REFERENCES transfers (id),
  reverses_id BIGINT REFERENCES transfers (id),
  batch_ref TEXT,
  kind TEXT NOT NULL,
  meta JSONB NOT NULL DEFAULT '{}'::jsonb,
  expires_at TIMESTAMPTZ,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  CHECK (debit_account <> credit_account),
  CHECK (state <> 'voided' OR pending_id IS NOT NULL),
  CHECK (state <> 'pending' OR (pending_id IS NULL AND reverses_id IS NULL)),
  CHECK (pending_id IS NULL OR reverses_id IS NULL)
)
-- ;;
-- A hold is resolved (posted or voided) at most once: the database is the guard (INV-4).
CREATE UNIQUE INDEX transfers_one_resolution ON transfers (pending_id) WHERE pending_id IS NOT NULL
-- ;;
CREATE INDEX transfers_reverses ON transfers (reverses_id) WHERE reverses_id IS NOT NULL
-- ;;
CREATE INDEX transfers_debit_history ON transfers (debit_account, id)
-- ;;
CREATE INDEX transfers_credit_history ON transfers (credit_account, id)
-- ;;
CREATE INDEX transfers_open_holds ON transfers (expires_at) WHERE state = 'pending' AND expires_at IS NOT NULL
-- ;;
CREATE FUNCTION transfers_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'transfers are immutable: % is not allowed (post a reversal instead)', TG_OP
    USING ERRCODE = 'restrict_violation';
END
$$
-- ;;
CREATE TRIGGER transfers_no_update_delete BEFORE UPDATE OR DELETE ON transfers
  FOR EACH ROW EXECUTE FUNCTION transfers_are_immutable()
-- ;;
CREATE TRIGGER transfers_no_truncate BEFORE TRUNCATE ON transfers
  FOR EACH STATEMENT EXECUTE FUNCTION transfers_are_immutable()
