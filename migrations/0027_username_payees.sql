-- Whom each payer last paid by a bare @username. A payment under the payer's threshold to an @username whose holder
-- is present in the chat goes at once with Undo, unless the name now belongs to someone else than the person the payer
-- paid under it last time (usernames change hands): then the confirm card says so. Statements are separated by
-- `-- ;;` lines.
CREATE TABLE username_payees (
  payer_id BIGINT NOT NULL REFERENCES people (id),
  platform TEXT NOT NULL CHECK (platform IN ('telegram', 'discord', 'sandbox')),
  username TEXT NOT NULL CHECK (username = lower(username) AND length(username) BETWEEN 1 AND 64),
  payee_id BIGINT NOT NULL REFERENCES people (id),
  paid_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (payer_id, platform, username)
)
