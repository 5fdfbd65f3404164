-- Deposits by card (/deposit amount): a Stripe Checkout Session per command (idempotency key derived from the
-- command's key), credited from the deposits clearing account once Stripe says the session is paid — whichever
-- webhook event (or replay) gets there first; the credit's ledger ref is `stripe:<session id>`, so never twice.
-- open → paid (credited) | expired (the session expired unpaid) | failed (a delayed payment method failed).
CREATE TABLE deposits (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  key TEXT NOT NULL UNIQUE CHECK (length(key) BETWEEN 1 AND 200),
  person_id BIGINT NOT NULL REFERENCES people (id),
  amount BIGINT NOT NULL CHECK (amount > 0),
  currency CHAR(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  session_id TEXT UNIQUE CHECK (length(session_id) BETWEEN 1 AND 255),
  url TEXT CHECK (length(url) <= 2000),
  payment_intent TEXT CHECK (length(payment_intent) <= 255),
  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'paid', 'expired', 'failed')),
  transfer_id BIGINT REFERENCES transfers (id),
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  closed_at TIMESTAMPTZ,
  CHECK ((state = 'paid') = (transfer_id IS NOT NULL)),
  CHECK ((state = 'open') = (closed_at IS NULL))
);
-- ;;
CREATE INDEX deposits_person ON deposits (person_id, id DESC);
-- ;;
CREATE INDEX deposits_payment_intent ON deposits (payment_intent) WHERE payment_intent IS NOT NULL;
