-- Live messages: a message the bot posted (a roster, a red packet, a vote tally) that is edited whenever its
-- server-side object changes, from any process. Statements are separated by `-- ;;` lines.
-- A feature changes the view in its own transaction (core/live touchLive): the version goes up and, when no edit
-- is pending, one `live.edit` outbox row is scheduled a little later, so a burst of changes costs one edit that
-- shows the last of them.
CREATE TABLE live_messages (
  -- Chosen by the feature: `collection:42`, `redpacket:7`, `vote:3`.
  ref TEXT PRIMARY KEY CHECK (length(ref) BETWEEN 1 AND 150),
  -- What the message shows at `version` (core/live LiveView: template, locale, time zone), replaced on each change.
  view JSONB NOT NULL,
  version BIGINT NOT NULL DEFAULT 1 CHECK (version > 0),
  -- The version the platform shows; 0 until the message is posted.
  shown_version BIGINT NOT NULL DEFAULT 0 CHECK (shown_version >= 0),
  -- Where the message is, once posted (all three or none).
  platform TEXT CHECK (platform IN ('telegram', 'discord', 'sandbox')),
  chat_id TEXT,
  message_id TEXT,
  -- The outbox key of the edit not yet started; NULL: the next change schedules one.
  edit_key TEXT,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  CONSTRAINT live_messages_where CHECK (
    (platform IS NULL AND chat_id IS NULL AND message_id IS NULL)
    OR (platform IS NOT NULL AND chat_id IS NOT NULL AND message_id IS NOT NULL))
)
