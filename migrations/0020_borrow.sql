-- Borrow asks (/borrow amount due [note]): a borrower asks the chat; friends fund all or part with one tap, each
-- funded part moving lender → borrower and opening an IOU (`source = 'borrow'`) in the same transaction. `funded`
-- never exceeds `amount` (the row is locked FOR UPDATE by every funding). open → funded (fully) | expired (at the TTL).
CREATE TABLE borrow_asks (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  key TEXT NOT NULL UNIQUE CHECK (length(key) BETWEEN 1 AND 200),
  borrower BIGINT NOT NULL REFERENCES people (id),
  amount BIGINT NOT NULL CHECK (amount > 0),
  currency CHAR(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  funded BIGINT NOT NULL DEFAULT 0 CHECK (funded >= 0),
  CHECK (funded <= amount),
  parts INTEGER NOT NULL DEFAULT 0 CHECK (parts >= 0),
  note TEXT CHECK (length(note) <= 200),
  due_on DATE NOT NULL,
  time_zone TEXT NOT NULL,
  platform TEXT NOT NULL CHECK (platform IN ('telegram', 'discord', 'sandbox')),
  chat_id TEXT NOT NULL CHECK (length(chat_id) BETWEEN 1 AND 64),
  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'funded', 'expired')),
  all_action_id TEXT NOT NULL,
  half_action_id TEXT NOT NULL,
  expires_at TIMESTAMPTZ NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  closed_at TIMESTAMPTZ,
  CHECK ((state = 'open') = (closed_at IS NULL))
)
