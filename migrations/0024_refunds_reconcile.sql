-- Money Stripe takes back from a deposit (a refund, a dispute) and gives back (a dispute won), one row per Stripe
-- object: `stripe_id` (re_…, dp_…, dp_…:won) is unique, so a replayed or cumulative `charge.refunded` moves money
-- once per refund. What the wallet could not cover went to the person's receivable account (`receivable:<id>`).
CREATE TABLE deposit_clawbacks (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  stripe_id TEXT NOT NULL UNIQUE CHECK (length(stripe_id) BETWEEN 1 AND 260),
  kind TEXT NOT NULL CHECK (kind IN ('refund', 'dispute', 'dispute_won')),
  deposit_id BIGINT NOT NULL REFERENCES deposits (id),
  person_id BIGINT NOT NULL REFERENCES people (id),
  amount BIGINT NOT NULL CHECK (amount > 0),
  currency CHAR(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  -- refund/dispute: taken from the wallet + put on the receivable = amount; dispute_won: the reverse.
  wallet_part BIGINT NOT NULL CHECK (wallet_part >= 0),
  receivable_part BIGINT NOT NULL CHECK (receivable_part >= 0),
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  CHECK (wallet_part + receivable_part = amount)
)
-- ;;
CREATE INDEX deposit_clawbacks_deposit ON deposit_clawbacks (deposit_id)
-- ;;

-- Reconciliation runs (daily job, `chipin reconcile`): the watermark is the newest Stripe event seen; the next run
-- lists from there. The findings of the latest finished run are violations in `chipin check`.
CREATE TABLE stripe_reconciliations (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  since TIMESTAMPTZ NOT NULL,
  watermark TIMESTAMPTZ NOT NULL,
  events INTEGER NOT NULL DEFAULT 0,
  balance_transactions INTEGER NOT NULL DEFAULT 0,
  replayed INTEGER NOT NULL DEFAULT 0,
  started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  finished_at TIMESTAMPTZ
)
-- ;;

CREATE TABLE stripe_reconcile_findings (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_id BIGINT NOT NULL REFERENCES stripe_reconciliations (id),
  kind TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 60),
  stripe_id TEXT,
  message TEXT NOT NULL,
  details JSONB NOT NULL DEFAULT '{}'
)
-- ;;
CREATE INDEX stripe_reconcile_findings_run ON stripe_reconcile_findings (run_id)
