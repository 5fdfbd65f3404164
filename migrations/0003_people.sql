-- People and their platform identities, exactly-once command outcomes, server-side button actions,
-- money waiting for an unseen @username (claims), money requests and /link codes.
-- Statements are separated by `-- ;;` lines.
CREATE TABLE people (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  display_name TEXT NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
  -- NULL: use the platform's language hint.
  locale TEXT CHECK (locale IN ('en', 'zh-CN')),
  -- NULL: the configured default time zone.
  timezone TEXT CHECK (length(timezone) BETWEEN 1 AND 64),
  -- Quiet hours in minutes after local midnight; both NULL = none. start > end wraps midnight.
  quiet_start SMALLINT CHECK (quiet_start BETWEEN 0 AND 1439),
  quiet_end SMALLINT CHECK (quiet_end BETWEEN 0 AND 1439),
  -- NULL: the configured CONFIRM_THRESHOLD; 0: confirm every payment.
  confirm_threshold_minor BIGINT CHECK (confirm_threshold_minor >= 0),
  last_platform TEXT NOT NULL CHECK (last_platform IN ('telegram', 'discord', 'sandbox')),
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  CHECK ((quiet_start IS NULL) = (quiet_end IS NULL)),
  CHECK (quiet_start IS NULL OR quiet_start <> quiet_end)
)
-- ;;
-- A person as one platform knows them. Keyed by the platform's immutable numeric id, never by the
-- username: usernames change hands, so they are refreshed on every touch and cleared from the old holder.
CREATE TABLE identities (
  platform TEXT NOT NULL CHECK (platform IN ('telegram', 'discord', 'sandbox')),
  user_id TEXT NOT NULL CHECK (user_id ~ '^[0-9]{1,20}$'),
  person_id BIGINT NOT NULL REFERENCES people (id),
  username TEXT CHECK (username = lower(username) AND length(username) BETWEEN 1 AND 64),
  display_name TEXT NOT NULL,
  is_bot BOOLEAN NOT NULL DEFAULT false,
  language_code TEXT,
  last_seen_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (platform, user_id)
)
-- ;;
CREATE INDEX identities_username ON identities (platform, username) WHERE username IS NOT NULL
-- ;;
CREATE INDEX identities_person ON identities (person_id, last_seen_at DESC)
-- ;;
-- Exactly-once commands (SPEC §5): the outcome of every delivery, success or rejection, under its key.
-- The key is inserted first, so a concurrent twin waits on the primary key and then reads the outcome.
CREATE TABLE command_log (
  key TEXT PRIMARY KEY CHECK (length(key) BETWEEN 1 AND 200),
  person_id BIGINT,
  command TEXT NOT NULL,
  outcome JSONB,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
)
-- ;;
CREATE INDEX command_log_created ON command_log (created_at)
-- ;;
-- Server-side state behind a button (RELIABILITY T7): the button carries only the opaque id; the
-- operation, who may press it and until when live here. pending → consumed | expired, consumed once.
CREATE TABLE actions (
  id TEXT PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_-]{22}$'),
  -- Business reference (`undo:<transfer>`, `request:<id>:pay`) so creating the same action twice is a no-op.
  ref TEXT UNIQUE CHECK (length(ref) BETWEEN 1 AND 200),
  -- The only person allowed to press.
  person_id BIGINT NOT NULL REFERENCES people (id),
  -- NULL platform/chat: pressable wherever the person sees it (a private notification).
  platform TEXT CHECK (platform IN ('telegram', 'discord', 'sandbox')),
  chat_id TEXT,
  message_id TEXT,
  kind TEXT NOT NULL,
  payload JSONB NOT NULL DEFAULT '{}'::jsonb,
  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'consumed', 'expired')),
  expires_at TIMESTAMPTZ NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  consumed_at TIMESTAMPTZ,
  CHECK ((state = 'consumed') = (consumed_at IS NOT NULL))
)
-- ;;
CREATE INDEX actions_pending_expiry ON actions (expires_at) WHERE state = 'pending'
-- ;;
-- Money sent to an @username nobody has seen yet: a ledger hold wallet → escrow `claim:<id>`.
-- held → matched (someone with the username appeared) → released (sender tapped Release);
-- held | matched → returned (expiry or the sender took it back). The ledger resolves the hold once.
CREATE TABLE claims (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  sender_person BIGINT NOT NULL REFERENCES people (id),
  platform TEXT NOT NULL CHECK (platform IN ('telegram', 'discord', 'sandbox')),
  username TEXT NOT NULL CHECK (username = lower(username) AND length(username) BETWEEN 1 AND 64),
  amount BIGINT NOT NULL CHECK (amount > 0),
  currency CHAR(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  note TEXT,
  escrow_account BIGINT REFERENCES accounts (id),
  hold_transfer_id BIGINT REFERENCES transfers (id),
  state TEXT NOT NULL DEFAULT 'held' CHECK (state IN ('held', 'matched', 'released', 'returned')),
  claimant_person BIGINT REFERENCES people (id),
  expires_at TIMESTAMPTZ NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  resolved_at TIMESTAMPTZ,
  CHECK (state NOT IN ('matched', 'released') OR claimant_person IS NOT NULL),
  CHECK ((state IN ('released', 'returned')) = (resolved_at IS NOT NULL))
)
-- ;;
CREATE INDEX claims_waiting ON claims (platform, username) WHERE state = 'held'
-- ;;
CREATE INDEX claims_sender ON claims (sender_person)
-- ;;
-- A money request: open → paid | declined | expired. Paying it is a pay with ref act:<pay action id>.
CREATE TABLE requests (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  key TEXT UNIQUE CHECK (length(key) BETWEEN 1 AND 200),
  requester BIGINT NOT NULL REFERENCES people (id),
  payer BIGINT NOT NULL REFERENCES people (id),
  amount BIGINT NOT NULL CHECK (amount > 0),
  currency CHAR(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  note TEXT,
  platform TEXT NOT NULL CHECK (platform IN ('telegram', 'discord', 'sandbox')),
  chat_id TEXT NOT NULL,
  due_at TIMESTAMPTZ NOT NULL,
  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'paid', 'declined', 'expired')),
  transfer_id BIGINT REFERENCES transfers (id),
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  resolved_at TIMESTAMPTZ,
  CHECK (requester <> payer),
  CHECK ((state = 'paid') = (transfer_id IS NOT NULL)),
  CHECK ((state = 'open') = (resolved_at IS NULL))
)
-- ;;
CREATE INDEX requests_payer_open ON requests (payer) WHERE state = 'open'
-- ;;
CREATE INDEX requests_requester ON requests (requester)
-- ;;
-- One-time /link codes (single use; finishing a link is a later issue).
CREATE TABLE link_codes (
  code TEXT PRIMARY KEY CHECK (code ~ '^[A-HJ-NP-Z2-9]{8}$'),
  person_id BIGINT NOT NULL REFERENCES people (id),
  expires_at TIMESTAMPTZ NOT NULL,
  used_at TIMESTAMPTZ,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
)
-- ;;
CREATE INDEX link_codes_live ON link_codes (person_id) WHERE used_at IS NULL
