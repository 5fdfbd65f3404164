-- The order of the delivery a vote's standing choice came from (Telegram update_id, Discord interaction id): a
-- change delivered earlier but processed later never overrides it. NULL: unknown (applied as it comes).
ALTER TABLE group_action_presses ADD COLUMN seq BIGINT
