/**
 * Presses of group buttons (core/actions/group.ts): many people, each counted once or voting. The press is answered
 * with a short toast; what the tally means (and any edit of the message showing it) belongs to the feature of the
 * action's kind.
 */
import type { GroupPressError, GroupPressOutcome } from '../../core/index.js';
import { t, type MessageKey } from '../i18n/index.js';
import type { Reader } from './render.js';
import type { CommandLayerConfig, PressSpec } from './spec.js';
import type { Effect } from './types.js';

export const GROUP_PRESS_ERROR_KEYS: Record<GroupPressError, MessageKey> = {
  Unknown: 'action.Unknown',
  Closed: 'group.Closed',
  Expired: 'action.Expired',
  NotEligible: 'group.NotEligible',
  AlreadyPressed: 'group.AlreadyPressed',
  WrongChat: 'action.WrongChat',
};

/**
 * The answer to a group press, and a short label of it for the command log. When the feature's hook answered with
 * an outcome and registered a renderer for the kind, that is the answer: a refusal as an alert, a message with
 * buttons (a confirmation) privately, anything else as the toast.
 */
export function groupPressed(
  press: GroupPressOutcome,
  reader: Reader,
  spec?: PressSpec,
  config?: CommandLayerConfig,
): { result: string; effects: Effect[] } {
  const { result } = press;
  if (result.ok && press.outcome && spec && config) {
    const outcome = press.outcome;
    const rendered = spec.render(reader, outcome as Parameters<PressSpec['render']>[1], config);
    const label = `group:${press.kind}:${outcome.type}${outcome.error === undefined ? '' : `:${outcome.error}`}`;
    if (outcome.type === 'rejected')
      return { result: label, effects: [{ type: 'answer', text: rendered.text, alert: true }] };
    if (rendered.buttons && rendered.buttons.length > 0)
      return { result: label, effects: [{ type: 'answer' }, { type: 'reply', message: rendered, private: true }] };
    return { result: label, effects: [{ type: 'answer', text: rendered.text }] };
  }
  if (!result.ok) {
    const text = t(reader.locale, GROUP_PRESS_ERROR_KEYS[result.error]);
    // Pressing twice is no problem worth an alert; the others are.
    return {
      result: `group:${press.kind}:refused:${result.error}`,
      effects: [{ type: 'answer', text, alert: result.error !== 'AlreadyPressed' }],
    };
  }
  const key: MessageKey =
    result.action.mode === 'once' ? 'group.counted' : result.choice === null ? 'group.retracted' : 'group.voted';
  const label =
    result.action.mode === 'once' ? 'counted' : result.choice === null ? 'retracted' : `voted:${result.choice}`;
  return { result: `group:${press.kind}:${label}`, effects: [{ type: 'answer', text: t(reader.locale, key) }] };
}
