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
