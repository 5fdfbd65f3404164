import { actionKind } from '../actions/model.js';
import type { LiveView } from '../live/model.js';
import type { Amount } from '../money/amount.js';
import type { Locale } from '../people/model.js';
import type { Platform } from '../platform.js';
import type { ShareMode } from './plan.js';

export { MAX_SHARES, type ShareMode } from './plan.js';

export interface RedPacket {
  id: bigint;
  platform: Platform;
  chatId: string;
  sender: bigint;
  total: Amount;
  shares: number;
  mode: ShareMode;
  note: string | null;
  /** The card's language and time zone. */
  locale: Locale;
  timeZone: string;
  /** The Claim button's group action. */
  actionId: string;
  /** 'done': every share claimed; 'expired': the rest went back to the sender. */
  state: 'open' | 'done' | 'expired';
  expiresAt: Date;
  createdAt: Date;
}

/** One claimed share, earliest first. */
export interface RedPacketClaim {
  slot: number;
  personId: bigint;
  name: string;
  amount: Amount;
  at: Date;
}

export interface RedPacketView {
  packet: RedPacket;
  senderName: string;
  claims: RedPacketClaim[];
  /** What is still unclaimed (what goes back at the deadline). */
  left: Amount;
}

export const REDPACKET_ERRORS = [
  'NotInGroup',
  'BadShareCount',
  'TotalTooSmall',
  'InsufficientFunds',
  'CurrencyMismatch',
  'InvalidAmount',
  'KeyConflict',
] as const;
export type RedPacketError = (typeof REDPACKET_ERRORS)[number];

export type RedPacketSendOutcome =
  | {
      type: 'sent';
      packet: RedPacket;
      senderName: string;
      /** The card the chat sees, with the Claim button, kept up to date as people claim (core/live). */
      card: { ref: string; version: bigint; view: LiveView };
    }
  | { type: 'rejected'; error: RedPacketError };

/** Why a press on Claim took nothing (the press is taken back: nothing moved). */
export const REDPACKET_CLAIM_ERRORS = ['OwnPacket', 'AllClaimed', 'RateLimited', 'UnknownPacket'] as const;
export type RedPacketClaimError = (typeof REDPACKET_CLAIM_ERRORS)[number];

export type RedPacketClaimOutcome =
  | { type: 'claimed'; packetId: bigint; slot: number; amount: Amount; senderName: string; transferId: bigint }
  | { type: 'rejected'; error: RedPacketClaimError };

/** The Claim button: a 'once' group action (many people, each at most once). */
export const REDPACKET_CLAIM = actionKind<RedPacketClaimOutcome>()('redpacket.claim');

/** What the deadline run did: returned the unclaimed rest to the sender (once), or nothing. */
export type ExpireDecision =
  | { type: 'returned'; packetId: bigint; amount: Amount; transferId: bigint | null }
  | { type: 'noop'; reason: 'Unknown' | 'Decided' | 'NotDue'; dueAt?: Date | null };
