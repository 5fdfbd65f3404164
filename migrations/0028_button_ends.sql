-- Buttons that can no longer be used leave their messages (issue 18). Statements are separated by `-- ;;` lines.
-- A request's private card is edited to its final state only when its message carries nothing else (not a digest):
-- the messages sharing an id are found through this index.
CREATE INDEX sent_messages_message ON sent_messages (platform, chat_id, message_id)
