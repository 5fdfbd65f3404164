-- /link redemption (issue 5): two people joined into one. Statements are separated by `-- ;;` lines.
-- The absorbed person keeps its row (history, requests and command outcomes still point at it) and names
-- the person it now lives on; its identities, open buttons and money move there.
ALTER TABLE people ADD COLUMN merged_into BIGINT REFERENCES people (id)
-- ;;
ALTER TABLE people ADD CONSTRAINT people_not_merged_into_self CHECK (merged_into IS NULL OR merged_into <> id)
-- ;;
-- Wrong /link codes, counted per person over a sliding window: guessing codes is rate-limited.
CREATE TABLE link_attempts (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  person_id BIGINT NOT NULL REFERENCES people (id),
  attempted_at TIMESTAMPTZ NOT NULL DEFAULT now()
)
-- ;;
CREATE INDEX link_attempts_person ON link_attempts (person_id, attempted_at)
-- ;;
-- Who redeemed a code (NULL while unused or for codes used before this migration).
ALTER TABLE link_codes ADD COLUMN used_by BIGINT REFERENCES people (id)
