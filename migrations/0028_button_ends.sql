-- Buttons that can no longer be used leave their messages (issue 18). Statements are separated by `-- ;;` lines.
-- What the message carrying an action's button shows once the action's time is up unpressed (core/live LiveView:
-- template, locale, time zone); NULL: the message is left as it is. When the button is bound to its message, an
-- `action.end` outbox row is scheduled at `expires_at` (core/actions bindMessages), in the binding's statement.
ALTER TABLE actions ADD COLUMN end_view JSONB
-- ;;
-- A request's private card is edited to its final state only when its message carries nothing else (not a digest):
-- the messages sharing an id are found through this index.
CREATE INDEX sent_messages_message ON sent_messages (platform, chat_id, message_id)
