-- The notifications worker drains due `notify` rows oldest first (core/outbox claimDueNotifications):
-- one index scan per batch, whatever else the outbox holds.
CREATE INDEX outbox_notify_due ON outbox (due_at, id) WHERE state = 'pending' AND kind = 'notify'
