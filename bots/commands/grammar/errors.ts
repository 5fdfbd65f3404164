import { AMOUNT_ERRORS, SCHEDULE_ERRORS, type AmountError, type ScheduleError } from '../../../core/index.js';
import type { DeadlineError } from './deadline.js';

/** Why a command's arguments were refused (besides the AmountError of its amount). */
export const COMMAND_ERRORS = [
  'MissingRecipient',
  'TooManyMentions',
  'AmbiguousRecipient',
  'MissingAmount',
  'AmbiguousAmount',
  'NoteTooLong',
  'BadDeadline',
  'DeadlineInPast',
  'BadCount',
  'BadSetting',
  'BadLanguage',
  'BadTimezone',
  'BadQuietHours',
  'BadThreshold',
  'BadLinkCode',
  'BadScheduleId',
  'BadFundCommand',
  'BadFundName',
  'BadFundDate',
  'FundDateInPast',
  'MissingFundDate',
  'BadQuorum',
  'MissingReason',
  'MixedCollectAmounts',
  'MissingSplitPeople',
  'BadCollectSplit',
  'BadIouId',
  'BadAskId',
  'MissingDueDate',
  'BadDueDate',
  'DueDateInPast',
  'BadRedPacket',
  'BadShareCount',
  'RedPacketTooSmall',
] as const satisfies ReadonlyArray<string>;

export type CommandError = (typeof COMMAND_ERRORS)[number] | DeadlineError;
export type ParseError = CommandError | AmountError | ScheduleError;

/** Every code a command's grammar can refuse with. */
export const PARSE_ERRORS: readonly ParseError[] = [...COMMAND_ERRORS, ...AMOUNT_ERRORS, ...SCHEDULE_ERRORS];
