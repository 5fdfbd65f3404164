/**
 * Who the bot knows in each group chat: recorded from everything a person does there (commands, presses,
 * messages, joins) and from the platform's leave notices. Only group chats: a private chat has no members to
 * list. Memberships are keyed by person, so after a /link the absorbed person's rows are read as the survivor's.
 */
import { big, date, textOrNull } from '../db/rows.js';
import type { Executor, Row } from '../db/executor.js';
import { MEMBER_FRESH_MS, type ChatMember, type GroupChat, type Seen } from './model.js';

/**
 * Records that each `personId` is present in its chat: a new membership, a re-join (left_at cleared) or a stale
 * last_seen_at refreshed. One statement for all, which writes (and locks) nothing while a membership is present and
 * fresh, so it can run on every group event, inside the caller's transaction or not. Rows are written in key order
 * (two such statements never wait on each other in a cycle); a person twice in one chat counts once. Returns how many
 * memberships it wrote.
 */
export async function seenInChats(
  exec: Executor,
  inputs: ReadonlyArray<GroupChat & { personId: bigint }>,
): Promise<number> {
  const r = await exec.query(
    `INSERT INTO chat_members AS m (platform, chat_id, person_id)
     SELECT DISTINCT i.platform, i.chat_id, i.person_id
       FROM unnest($1::text[], $2::text[], $3::bigint[]) AS i (platform, chat_id, person_id)
      WHERE NOT EXISTS (
        SELECT 1 FROM chat_members c
         WHERE c.platform = i.platform AND c.chat_id = i.chat_id AND c.person_id = i.person_id
           AND c.left_at IS NULL AND c.last_seen_at > now() - $4::bigint * interval '1 millisecond')
      ORDER BY i.platform, i.chat_id, i.person_id
     ON CONFLICT (platform, chat_id, person_id) DO UPDATE SET last_seen_at = now(), left_at = NULL`,
    [inputs.map((i) => i.platform), inputs.map((i) => i.chatId), inputs.map((i) => i.personId), MEMBER_FRESH_MS],
  );
  return r.rowCount;
}

/**
 * The platform user `userId` left the chat (or was removed). Found through their identity: a user the bot never
 * saw has no membership to end. Returns whether a present membership ended.
 */
export async function leftChat(exec: Executor, input: GroupChat & { userId: string }): Promise<boolean> {
  const r = await exec.query(
    `UPDATE chat_members m SET left_at = now()
       FROM identities i
      WHERE i.platform = $1 AND i.user_id = $3
        AND m.platform = $1 AND m.chat_id = $2 AND m.left_at IS NULL
        AND m.person_id IN (SELECT id FROM people WHERE id = i.person_id OR merged_into = i.person_id)`,
    [input.platform, input.chatId, input.userId],
  );
  return r.rowCount > 0;
}

// A membership row read as the person it belongs to now: an absorbed person (/link) reads as the survivor.
const PRESENT = `
  SELECT coalesce(p.merged_into, p.id) AS person_id, min(m.first_seen_at) AS first_seen_at,
         max(m.last_seen_at) AS last_seen_at
    FROM chat_members m JOIN people p ON p.id = m.person_id
   WHERE m.platform = $1 AND m.chat_id = $2 AND m.left_at IS NULL
   GROUP BY 1`;

function toMember(r: Row): ChatMember {
  return {
    personId: big(r.person_id),
    displayName: String(r.display_name),
    username: textOrNull(r.username),
    firstSeenAt: date(r.first_seen_at),
    lastSeenAt: date(r.last_seen_at),
  };
}

/** The people currently present in the chat, longest-standing first. */
export async function membersOf(exec: Executor, chat: GroupChat): Promise<ChatMember[]> {
  const r = await exec.query(
    `WITH present AS (${PRESENT})
     SELECT present.*, p.display_name,
            (SELECT i.username FROM identities i
              WHERE i.person_id = present.person_id AND i.platform = $1
              ORDER BY i.last_seen_at DESC LIMIT 1) AS username
       FROM present JOIN people p ON p.id = present.person_id
      ORDER BY present.first_seen_at, present.person_id`,
    [chat.platform, chat.chatId],
  );
  return r.rows.map(toMember);
}

/** Where the bot has seen the person (or someone joined into them): present in `chat` since, else on chipin since. */
export async function whereSeen(exec: Executor, chat: GroupChat, personId: bigint): Promise<Seen> {
  const r = await exec.query(
    `SELECT (SELECT min(m.first_seen_at) FROM chat_members m JOIN people p ON p.id = m.person_id
              WHERE m.platform = $1 AND m.chat_id = $2 AND m.left_at IS NULL
                AND (m.person_id = $3 OR p.merged_into = $3)) AS here_since,
            (SELECT created_at FROM people WHERE id = $3) AS known_since`,
    [chat.platform, chat.chatId, personId],
  );
  const row = r.rows[0];
  const here = row?.here_since ?? null;
  return here === null ? { here: false, since: date(row?.known_since) } : { here: true, since: date(here) };
}

/** Whether the person (or someone joined into them) is present in the chat now. */
export async function isMember(exec: Executor, input: GroupChat & { personId: bigint }): Promise<boolean> {
  const r = await exec.query(
    `SELECT 1 FROM chat_members m JOIN people p ON p.id = m.person_id
      WHERE m.platform = $1 AND m.chat_id = $2 AND m.left_at IS NULL
        AND (m.person_id = $3 OR p.merged_into = $3)
      LIMIT 1`,
    [input.platform, input.chatId, input.personId],
  );
  return r.rowCount > 0;
}
