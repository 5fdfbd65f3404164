/**
 * The one sender for every Bot API write that counts against Telegram's message limits (sendMessage,
 * editMessageText, sendDocument): a FIFO per chat (one call in flight per chat, so a chat sees its messages in
 * order), rolling windows per chat, per group and global, round-robin across chats, and a 429 honoured by
 * waiting `retry_after` and repeating the same call a bounded number of times. In a group, texts without buttons
 * that wait in the queue together go out as one message (merge.ts). answerCallbackQuery does not
 * come through here: it is not a message, and it must not wait behind a busy group.
 */
import type { Log } from '../../core/log.js';
import { apiFailure } from './errors.js';
import { RollingWindow, TELEGRAM_LIMITS, type TelegramLimits } from './limits.js';
import { mergeRun, type MergeablePart } from './merge.js';

export interface OutboundOptions {
  log: Log;
  limits?: TelegramLimits;
  /** Added to every window (clock and network jitter between our stamp and Telegram's). Default 50 ms. */
  safetyMs?: number;
  /** Calls per job, the first included, before a 429 is given up on. Default 4. */
  maxAttempts?: number;
  /** A 429 asking for a longer wait fails the job at once instead (a flood wait of hours). Default 5 min. */
  maxRetryAfterMs?: number;
  /** Texts waiting in one group's queue go out as one message (bots/telegram/merge.ts). Default true. */
  mergeGroupTexts?: boolean;
  now?: () => number;
}

export interface OutboundStats {
  sent: number;
  rateLimited: number;
  migrated: number;
  failed: number;
  queued: number;
  /** Texts that went out inside another queued text's message (merged group replies). */
  merged: number;
}

export interface Outbound {
  /**
   * Runs `call` for `chatId` when the budgets allow, after every call queued earlier for that chat. Resolves with
   * its result; rejects with the last error once it cannot be delivered. `call` receives the chat id to use (a
   * migrated group's new id on a retry).
   */
  send<T>(chatId: string, call: (chatId: string) => Promise<T>, signal?: AbortSignal): Promise<T>;
  /**
   * Like `send`, for a text message without buttons or document: in a group, when it waits in the queue together
   * with other such texts (same `part.key`), they go out as one message. `compose(chatId, text)` sends a text: the
   * first waiting part's `compose` sends the merged text, and every merged caller resolves with that message.
   * `signal` (both): aborted while the call still waits its turn, it is taken out of the queue and rejects with the
   * signal's reason — it is then never sent; once started, the call runs to its end.
   */
  sendText<T>(
    chatId: string,
    part: MergeablePart,
    compose: (chatId: string, text: string) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T>;
  stats(): OutboundStats;
  /** Rejects everything still queued (shutdown); calls in flight finish. */
  close(): void;
}

/** Telegram group and supergroup ids are negative; users' ids are positive. */
export const isGroupChat = (chatId: string): boolean => chatId.startsWith('-');

interface Job {
  call: (chatId: string) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
  attempts: number;
  migrated: boolean;
  /** Set: a text that may be merged with the texts queued after it. */
  merge?: MergeablePart & { compose: (chatId: string, text: string) => Promise<unknown> };
  /** Callers this job answers (more than one once merged). */
  callers: number;
}

interface ChatState {
  id: string;
  jobs: Job[];
  busy: boolean;
  blockedUntil: number;
  perChat: RollingWindow;
  perGroup: RollingWindow | undefined;
}

const abortReason = (signal: AbortSignal): Error =>
  signal.reason instanceof Error ? signal.reason : new Error('the sender gave up waiting');

export class OutboundClosedError extends Error {
  override name = 'OutboundClosedError';
}

export function createOutbound(options: OutboundOptions): Outbound {
  const { log } = options;
  const limits = options.limits ?? TELEGRAM_LIMITS;
  const safetyMs = options.safetyMs ?? 50;
  const maxAttempts = options.maxAttempts ?? 4;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 300_000;
  const mergeGroupTexts = options.mergeGroupTexts ?? true;
  const now = options.now ?? Date.now;

  const global = new RollingWindow(limits.global.limit, limits.global.windowMs, safetyMs);
  const chats = new Map<string, ChatState>();
  const stats = { sent: 0, rateLimited: 0, migrated: 0, failed: 0, merged: 0 };
  let timer: NodeJS.Timeout | undefined;
  let timerAt = Infinity;
  let closed = false;

  const chatState = (id: string): ChatState => {
    let state = chats.get(id);
    if (!state) {
      state = {
        id,
        jobs: [],
        busy: false,
        blockedUntil: 0,
        perChat: new RollingWindow(limits.perChat.limit, limits.perChat.windowMs, safetyMs),
        perGroup: isGroupChat(id)
          ? new RollingWindow(limits.perGroup.limit, limits.perGroup.windowMs, safetyMs)
          : undefined,
      };
      chats.set(id, state);
    }
    return state;
  };

  /** When the chat may send next; Infinity while a full window waits on responses (their arrival pumps again). */
  const readyAt = (chat: ChatState, t: number): number =>
    Math.max(chat.blockedUntil, chat.perChat.nextFree(t), chat.perGroup?.nextFree(t) ?? t, global.nextFree(t));

  function pump(): void {
    const t = now();
    let wake = Infinity;
    for (const chat of [...chats.values()]) {
      if (chat.busy) continue;
      if (chat.jobs.length === 0) {
        if (chat.perChat.isEmpty(t) && (chat.perGroup?.isEmpty(t) ?? true)) chats.delete(chat.id);
        continue;
      }
      const at = readyAt(chat, t);
      if (at > t) {
        wake = Math.min(wake, at);
        continue;
      }
      dispatch(chat, t);
      // Round-robin: the chat just served goes to the back of the line.
      chats.delete(chat.id);
      chats.set(chat.id, chat);
    }
    if (wake < Infinity && wake < timerAt) {
      clearTimeout(timer);
      timerAt = wake;
      timer = setTimeout(
        () => {
          timer = undefined;
          timerAt = Infinity;
          pump();
        },
        Math.max(0, wake - t),
      );
    }
  }

  /** Replaces the run of mergeable texts at the head of a group's queue by one job sending them as one message. */
  function mergeHead(chat: ChatState): void {
    const run = mergeRun(chat.jobs.map((job) => job.merge));
    const head = chat.jobs[0]?.merge;
    if (!run || run.count < 2 || !head) return;
    const parts = chat.jobs.splice(0, run.count);
    const { compose, key } = head;
    chat.jobs.unshift({
      call: (target) => compose(target, run.text),
      resolve: (value) => parts.forEach((part) => part.resolve(value)),
      reject: (err) => parts.forEach((part) => part.reject(err)),
      attempts: Math.max(...parts.map((part) => part.attempts)),
      migrated: parts.some((part) => part.migrated),
      merge: { text: run.text, key, compose },
      callers: parts.reduce((n, part) => n + part.callers, 0),
    });
    stats.merged += run.count - 1;
  }

  function dispatch(chat: ChatState, t: number): void {
    // In a group every message spends the 20-a-minute budget: what waited goes out together.
    if (mergeGroupTexts && chat.perGroup) mergeHead(chat);
    const job = chat.jobs[0]!;
    chat.busy = true;
    // Counted from now until a window after the response: Telegram saw it somewhere in between.
    const counted = [chat.perChat, chat.perGroup, global]
      .filter((w): w is RollingWindow => w !== undefined)
      .map((w) => ({ window: w, hit: w.record(t, true) }));
    job.attempts += 1;
    void Promise.resolve()
      .then(() => job.call(chat.id))
      .then(
        (value) => {
          chat.jobs.shift();
          stats.sent += 1;
          job.resolve(value);
        },
        (err: unknown) => retryOrFail(chat, job, err),
      )
      .finally(() => {
        const done = now();
        for (const { window, hit } of counted) window.settle(hit, done);
        chat.busy = false;
        pump();
      });
  }

  function retryOrFail(chat: ChatState, job: Job, err: unknown): void {
    const failure = apiFailure(err);
    if (failure?.code === 429) {
      stats.rateLimited += 1;
      const waitMs = (failure.retryAfterS ?? 1) * 1_000;
      if (job.attempts < maxAttempts && waitMs <= maxRetryAfterMs && !closed) {
        log.warn(
          { chatId: chat.id, retryAfterS: failure.retryAfterS, attempt: job.attempts },
          'telegram: 429, waiting',
        );
        chat.blockedUntil = Math.max(chat.blockedUntil, now() + waitMs);
        return; // the job stays at the head of its chat's queue
      }
    }
    if (failure?.migrateToChatId !== undefined && !job.migrated && !closed) {
      // The group became a supergroup; repeat the call once under the new id, after that chat's queue.
      stats.migrated += 1;
      log.info({ chatId: chat.id, migrateToChatId: failure.migrateToChatId }, 'telegram: chat migrated, resending');
      chat.jobs.shift();
      job.migrated = true;
      chatState(failure.migrateToChatId).jobs.push(job);
      return;
    }
    chat.jobs.shift();
    stats.failed += 1;
    job.reject(err);
  }

  function enqueue<T>(
    chatId: string,
    call: (chatId: string) => Promise<T>,
    merge?: Job['merge'],
    signal?: AbortSignal,
  ): Promise<T> {
    if (closed) return Promise.reject(new OutboundClosedError('outbound sender closed'));
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise<T>((resolve, reject) => {
      const chat = chatState(chatId);
      const job: Job = {
        call,
        resolve: resolve as (value: unknown) => void,
        reject,
        attempts: 0,
        migrated: false,
        ...(merge ? { merge } : {}),
        callers: 1,
      };
      chat.jobs.push(job);
      if (signal) {
        const withdraw = () => {
          // Only while it waits: the head of a busy chat is in flight (or merged into the call in flight).
          const at = chat.jobs.indexOf(job);
          if (at < 0 || (at === 0 && chat.busy)) return;
          chat.jobs.splice(at, 1);
          reject(abortReason(signal));
        };
        // A settled job is out of the queue: the listener then does nothing (it goes with the caller's signal).
        signal.addEventListener('abort', withdraw, { once: true });
      }
      pump();
    });
  }

  return {
    send<T>(chatId: string, call: (chatId: string) => Promise<T>, signal?: AbortSignal): Promise<T> {
      return enqueue(chatId, call, undefined, signal);
    },
    sendText<T>(
      chatId: string,
      part: MergeablePart,
      compose: (chatId: string, text: string) => Promise<T>,
      signal?: AbortSignal,
    ) {
      return enqueue<T>(chatId, (target) => compose(target, part.text), { ...part, compose }, signal);
    },
    stats() {
      let queued = 0;
      for (const chat of chats.values()) for (const job of chat.jobs) queued += job.callers;
      return { ...stats, queued };
    },
    close() {
      closed = true;
      clearTimeout(timer);
      timer = undefined;
      timerAt = Infinity;
      for (const chat of chats.values()) {
        // The head of a busy chat is in flight and settles by itself.
        const waiting = chat.busy ? chat.jobs.splice(1) : chat.jobs.splice(0);
        for (const job of waiting) job.reject(new OutboundClosedError('outbound sender closed'));
      }
    },
  };
}
