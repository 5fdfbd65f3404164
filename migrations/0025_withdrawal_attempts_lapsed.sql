-- A withdrawal attempt left `started` (no answer) for longer than Stripe keeps idempotency keys (24 h, RELIABILITY
-- S1) is not re-sent: its object is looked up by our metadata. Found, the attempt `succeeded` with it; not found, the
-- call was never made and the attempt is `lapsed` (closed; the next attempt, n + 1, takes a new key).
ALTER TABLE withdrawal_attempts DROP CONSTRAINT withdrawal_attempts_state_check
-- ;;
ALTER TABLE withdrawal_attempts ADD CONSTRAINT withdrawal_attempts_state_check
  CHECK (state IN ('started', 'succeeded', 'refused', 'lapsed'))
