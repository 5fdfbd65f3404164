/**
 * OutMessage → Discord message bodies. Content is plain text cut to Discord's 2000 characters; buttons become
 * action rows of at most 5 buttons whose custom_id is the opaque action id (1–100 characters, checked here so a bad
 * id fails in tests); `allowed_mentions: {parse: []}` on every message, so no text can ping @everyone, a role or a
 * user; a document becomes an attachment.
 */
import { splitText } from '../commands/text.js';
import type { Button, OutMessage } from '../commands/types.js';
import { EPHEMERAL } from './interaction.js';

export const MAX_CONTENT_LENGTH = 2000;
export const MAX_CUSTOM_ID_LENGTH = 100;
export const MAX_LABEL_LENGTH = 80;
export const MAX_BUTTONS_PER_ROW = 5;
export const MAX_ROWS = 5;

const ACTION_ROW = 1;
const BUTTON = 2;
const PRIMARY = 1;
const SECONDARY = 2;
const LINK = 5;

export type DiscordButton =
  | { type: typeof BUTTON; style: number; label: string; custom_id: string }
  | { type: typeof BUTTON; style: typeof LINK; label: string; url: string };

export interface ActionRow {
  type: typeof ACTION_ROW;
  components: DiscordButton[];
}

export interface MessageBody {
  content: string;
  components?: ActionRow[];
  allowed_mentions: { parse: [] };
  flags?: number;
  attachments?: Array<{ id: number; filename: string }>;
}

export interface MessageFile {
  name: string;
  data: Buffer;
  contentType: string;
}

/** One request's worth: a body and the files it carries. */
export interface RenderedPiece {
  body: MessageBody;
  files: MessageFile[];
}

/** Throws on an action id or layout Discord would refuse: a programming error in the command layer. */
export function actionRows(rows: readonly (readonly Button[])[]): ActionRow[] {
  const out: ActionRow[] = [];
  rows.forEach((row, r) => {
    for (let i = 0; i < row.length; i += MAX_BUTTONS_PER_ROW) {
      out.push({
        type: ACTION_ROW,
        components: row.slice(i, i + MAX_BUTTONS_PER_ROW).map((button, j) => toButton(button, r === 0 && i + j === 0)),
      });
    }
  });
  if (out.length > MAX_ROWS) throw new RangeError(`at most ${MAX_ROWS} rows of buttons (got ${out.length})`);
  return out;
}

function toButton(button: Button, first: boolean): DiscordButton {
  if (button.url !== undefined) return { type: BUTTON, style: LINK, label: clipLabel(button.label), url: button.url };
  const id = button.actionId;
  if (id.length < 1 || id.length > MAX_CUSTOM_ID_LENGTH)
    throw new RangeError(`button action id must be 1-${MAX_CUSTOM_ID_LENGTH} characters (got ${id.length})`);
  return { type: BUTTON, style: first ? PRIMARY : SECONDARY, label: clipLabel(button.label), custom_id: id };
}

function clipLabel(text: string): string {
  const label = [...text.trim()];
  if (label.length === 0) throw new RangeError('button label must not be empty');
  return label.length > MAX_LABEL_LENGTH ? `${label.slice(0, MAX_LABEL_LENGTH - 1).join('')}…` : text;
}

/**
 * The message as requests, in order: text pieces of at most 2000 characters, the buttons on the last one, the
 * document attached to the last one. `ephemeral` sets the flag on every piece. `forEdit`: the first piece replaces
 * a message, so it always says which buttons it has (none removes the old ones).
 */
export function renderMessage(
  message: OutMessage,
  options: { ephemeral: boolean; forEdit?: boolean },
): RenderedPiece[] {
  const rows = message.buttons?.length ? actionRows(message.buttons) : [];
  const pieces = splitText(message.text, MAX_CONTENT_LENGTH);
  if (pieces.length === 0) pieces.push(message.document ? '' : '…');
  return pieces.map((content, i) => {
    const last = i === pieces.length - 1;
    const doc = last ? message.document : undefined;
    const body: MessageBody = {
      content,
      allowed_mentions: { parse: [] },
      ...(options.ephemeral ? { flags: EPHEMERAL } : {}),
      ...(last && rows.length > 0 ? { components: rows } : i === 0 && options.forEdit ? { components: [] } : {}),
      ...(doc ? { attachments: [{ id: 0, filename: doc.filename }] } : {}),
    };
    const files = doc ? [{ name: doc.filename, data: Buffer.from(doc.content, 'utf8'), contentType: doc.mime }] : [];
    return { body, files };
  });
}
