-- The workers' side of the outbox (issue 4). Statements are separated by `-- ;;` lines.
-- Messages the notifications worker has handed to a platform, written in the transaction that marks
-- their outbox rows done, before the job reports success: a re-run after a crash finds the row done
-- and does not send again (a crash between the platform call and this commit can still repeat one).
-- A digest is one message for several rows: each row gets its own line with the same message id.
CREATE TABLE sent_messages (
  outbox_key TEXT PRIMARY KEY,
  platform TEXT NOT NULL,
  chat_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  sent_at TIMESTAMPTZ NOT NULL DEFAULT now()
)
-- ;;
-- The relay's work list: pending rows not yet handed to BullMQ.
CREATE INDEX outbox_unrelayed ON outbox (due_at) WHERE state = 'pending' AND enqueued_at IS NULL
-- ;;
-- A person's due notifications, gathered into one digest message.
CREATE INDEX outbox_notify_person ON outbox ((payload ->> 'personId'), due_at) WHERE state = 'pending' AND kind = 'notify'
-- ;;
-- Dead letters, counted for /metrics and listed for operators.
CREATE INDEX outbox_dead ON outbox (done_at) WHERE state = 'dead'
