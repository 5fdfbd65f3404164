-- Group chats: who the bot knows in each group chat. Statements are separated by `-- ;;` lines.
-- A person is a member of a chat from the first time they are seen there until they leave; leaving keeps the
-- row (left_at set) so a re-join keeps first_seen_at. Private chats are never recorded.
CREATE TABLE chat_members (
  platform TEXT NOT NULL CHECK (platform IN ('telegram', 'discord', 'sandbox')),
  chat_id TEXT NOT NULL CHECK (length(chat_id) BETWEEN 1 AND 64),
  person_id BIGINT NOT NULL REFERENCES people (id),
  first_seen_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  last_seen_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  -- NULL while present.
  left_at TIMESTAMPTZ,
  PRIMARY KEY (platform, chat_id, person_id)
)
-- ;;
CREATE INDEX chat_members_person ON chat_members (person_id)
-- ;;
-- A button bound to a group chat that many people may press (the opaque id scheme of actions): 'once' records
-- each person's press at most once; 'vote' records each person's choice among `options`, changeable until it
-- closes. open → closed, exactly once. What pressing means lives with the feature that owns `kind`.
CREATE TABLE group_actions (
  id TEXT PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_-]{22}$'),
  -- Business reference, so creating the same group action twice is a no-op.
  ref TEXT UNIQUE CHECK (length(ref) BETWEEN 1 AND 200),
  kind TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 64),
  payload JSONB NOT NULL DEFAULT '{}'::jsonb,
  platform TEXT NOT NULL CHECK (platform IN ('telegram', 'discord', 'sandbox')),
  chat_id TEXT NOT NULL CHECK (length(chat_id) BETWEEN 1 AND 64),
  message_id TEXT,
  mode TEXT NOT NULL CHECK (mode IN ('once', 'vote')),
  -- Votes: how many options (choices 0 … options-1); NULL for 'once'.
  options SMALLINT CHECK (options BETWEEN 1 AND 12),
  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
  expires_at TIMESTAMPTZ NOT NULL,
  created_by BIGINT NOT NULL REFERENCES people (id),
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  closed_at TIMESTAMPTZ,
  CHECK ((mode = 'vote') = (options IS NOT NULL)),
  CHECK ((state = 'closed') = (closed_at IS NOT NULL))
)
-- ;;
CREATE INDEX group_actions_open_expiry ON group_actions (expires_at) WHERE state = 'open'
-- ;;
-- One row per person and group action: the primary key is what makes a press count once under any concurrency.
-- `choice` is 0 for a 'once' press; for a vote, the option chosen last, NULL when the vote was taken back.
CREATE TABLE group_action_presses (
  action_id TEXT NOT NULL REFERENCES group_actions (id) ON DELETE CASCADE,
  person_id BIGINT NOT NULL REFERENCES people (id),
  choice SMALLINT CHECK (choice >= 0),
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (action_id, person_id)
)
-- ;;
-- A native poll (Telegram sendPoll) showing a 'vote' group action: answers arrive by poll id without a chat, so the
-- poll id leads to the action, and the action to the message to stop when it closes.
CREATE TABLE polls (
  platform TEXT NOT NULL CHECK (platform IN ('telegram', 'discord', 'sandbox')),
  poll_id TEXT NOT NULL CHECK (length(poll_id) BETWEEN 1 AND 128),
  action_id TEXT NOT NULL UNIQUE REFERENCES group_actions (id) ON DELETE CASCADE,
  chat_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (platform, poll_id)
)
