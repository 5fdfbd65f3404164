-- Telegram update ids are unique only until a week without updates: then the next id is chosen at random, and an
-- old id can come back while the payment it keyed stays in the ledger. Each bot's epoch counts those quiet weeks;
-- update keys carry it (bots/telegram/keys.ts). `last_seen_at` is refreshed by the intake at least hourly.
CREATE TABLE telegram_epochs (
  bot_id TEXT PRIMARY KEY CHECK (bot_id ~ '^[0-9]{1,20}$'),
  epoch INTEGER NOT NULL DEFAULT 0 CHECK (epoch >= 0),
  last_seen_at TIMESTAMPTZ NOT NULL DEFAULT now()
)
