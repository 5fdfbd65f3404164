-- A pot for someone who has not started the bot yet: it is created for their @username (on the fund's platform)
-- and waits for them. When a user holding that username first shows up, the creator is asked to confirm it is them
-- (`beneficiary_asked`: the person they were last asked about, so nobody is asked about twice); once confirmed,
-- `beneficiary` is set and the pot pays as any other. Statements are separated by `-- ;;` lines.
ALTER TABLE funds ADD COLUMN beneficiary_username TEXT CHECK (beneficiary_username ~ '^[a-z0-9_.]{1,32}$')
-- ;;
ALTER TABLE funds ADD COLUMN beneficiary_asked BIGINT REFERENCES people (id)
-- ;;
ALTER TABLE funds DROP CONSTRAINT funds_pot
-- ;;
ALTER TABLE funds ADD CONSTRAINT funds_pot
  CHECK ((locked_until IS NULL) = (beneficiary IS NULL AND beneficiary_username IS NULL))
-- ;;
CREATE INDEX funds_waiting_for ON funds (platform, beneficiary_username)
  WHERE beneficiary IS NULL AND beneficiary_username IS NOT NULL AND state = 'open'
