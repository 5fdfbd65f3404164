-- Withdrawals through Stripe Connect (/connect, /withdraw amount).
--
-- connected_accounts: each person's own Express account, created once (idempotency key `connect:<person id>`);
-- `account.updated` events record whether Stripe lets it receive payouts.
CREATE TABLE connected_accounts (
  person_id BIGINT PRIMARY KEY REFERENCES people (id),
  account_id TEXT NOT NULL UNIQUE CHECK (length(account_id) BETWEEN 1 AND 255),
  payouts_enabled BOOLEAN NOT NULL DEFAULT false,
  details_submitted BOOLEAN NOT NULL DEFAULT false,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- ;;

-- A confirmed withdrawal. Its money is held (pending ledger transfers wallet → system:payouts, and the fee wallet →
-- system:fees) from the confirmation; the settlement job creates the Stripe transfer to the connected account and
-- then the payout to the person's bank. State machine, forward only:
--   held → transferred (Stripe transfer made; holds posted) → settling (payout created) → paid → failed
--   held → refused (Stripe refused the transfer for good; holds voided)
--   settling | paid → failed (payout.failed, even after payout.paid: RELIABILITY S6; one reversal re-credits, and
--   the job then reverses the Stripe transfer, recording stripe_reversal)
CREATE TABLE withdrawals (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  key TEXT NOT NULL UNIQUE CHECK (length(key) BETWEEN 1 AND 200),
  person_id BIGINT NOT NULL REFERENCES people (id),
  account_id TEXT NOT NULL CHECK (length(account_id) BETWEEN 1 AND 255),
  amount BIGINT NOT NULL CHECK (amount > 0),
  fee BIGINT NOT NULL CHECK (fee >= 0),
  currency CHAR(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  state TEXT NOT NULL DEFAULT 'held'
    CHECK (state IN ('held', 'transferred', 'settling', 'paid', 'failed', 'refused')),
  hold_transfer_id BIGINT NOT NULL REFERENCES transfers (id),
  fee_transfer_id BIGINT REFERENCES transfers (id),
  stripe_transfer TEXT UNIQUE CHECK (length(stripe_transfer) BETWEEN 1 AND 255),
  stripe_payout TEXT UNIQUE CHECK (length(stripe_payout) BETWEEN 1 AND 255),
  -- After a failed payout the money is back on the connected account: the transfer reversal brings it home (S7).
  stripe_reversal TEXT UNIQUE CHECK (length(stripe_reversal) BETWEEN 1 AND 255),
  -- The last definite refusal (`balance_insufficient`, `account_closed`…), for the log and support.
  failure_code TEXT CHECK (length(failure_code) <= 255),
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  CHECK ((fee = 0) = (fee_transfer_id IS NULL))
);
-- ;;
CREATE INDEX withdrawals_person ON withdrawals (person_id, id DESC);
-- ;;

-- Every call that creates something at Stripe for a withdrawal, recorded (and committed) BEFORE the call with the
-- idempotency key it uses: `<withdrawal id>:<n>` for the transfer, `<withdrawal id>:payout:<n>` for the payout,
-- `<withdrawal id>:reversal:<n>` for the transfer reversal after a failed payout.
-- An attempt still `started` had no definite answer: the next run re-sends it with the same key and parameters.
-- A `refused` one got a definite error from Stripe (which replays it for that key): the next run takes n + 1.
CREATE TABLE withdrawal_attempts (
  withdrawal_id BIGINT NOT NULL REFERENCES withdrawals (id),
  step TEXT NOT NULL CHECK (step IN ('transfer', 'payout', 'reversal')),
  n INT NOT NULL CHECK (n > 0),
  key TEXT NOT NULL UNIQUE CHECK (length(key) BETWEEN 1 AND 255),
  state TEXT NOT NULL DEFAULT 'started' CHECK (state IN ('started', 'succeeded', 'refused')),
  code TEXT CHECK (length(code) <= 255),
  object_id TEXT CHECK (length(object_id) <= 255),
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  answered_at TIMESTAMPTZ,
  PRIMARY KEY (withdrawal_id, step, n)
);
