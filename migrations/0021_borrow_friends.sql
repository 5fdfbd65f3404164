-- Borrow asks, continued. An ask to named friends (`/borrow 50 friday @ann @ben`) goes to each of them in a DM with
-- buttons only they can press, so it has no group buttons; only the friends it names may lend to it. `locale`: the
-- language of the card in the chat (its live message is re-rendered as parts are funded). `reasked_from`: the ask
-- whose rest this one asks again ("Ask others" at expiry), at most once per ask.
ALTER TABLE borrow_asks
  ALTER COLUMN all_action_id DROP NOT NULL,
  ALTER COLUMN half_action_id DROP NOT NULL,
  ADD COLUMN locale TEXT NOT NULL DEFAULT 'en' CHECK (length(locale) BETWEEN 2 AND 10),
  ADD COLUMN named BOOLEAN NOT NULL DEFAULT false,
  ADD COLUMN chat_kind TEXT NOT NULL DEFAULT 'group' CHECK (chat_kind IN ('private', 'group')),
  ADD COLUMN reasked_from BIGINT UNIQUE REFERENCES borrow_asks (id),
  ADD CHECK (named OR (all_action_id IS NOT NULL AND half_action_id IS NOT NULL));
-- ;;
CREATE TABLE borrow_ask_friends (
  ask_id BIGINT NOT NULL REFERENCES borrow_asks (id),
  person_id BIGINT NOT NULL REFERENCES people (id),
  PRIMARY KEY (ask_id, person_id)
);
