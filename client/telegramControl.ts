/**
 * Operating portfolios from Telegram, the way freqtrade users do: the notify worker long-polls the Bot API
 * (getUpdates) and maps each command from an allow-listed chat to the same query, signal or update tradectl uses
 * (./tradingClient.ts portfolioOps). A message from any other chat is ignored (no answer) and logged.
 *
 *   /status, /positions      the status query            /pause [reason], /resume, /stop   the signals
 *   /emergency_stop [reason]  asks for /confirm <code> within a minute, then the emergencyStop signal
 *   /use <portfolio>          which portfolio this chat's commands act on      /help
 *
 * Commands older than MAX_AGE_S (sent while the worker was down) are refused, not replayed late. Run one such
 * poller per bot: Telegram answers a second getUpdates caller with 409 Conflict (logged, retried after a pause).
 */
import { randomInt } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { DeliveryError } from '../activities/notify/channel';
import { callBot, type TelegramBot } from '../activities/notify/telegram';
import { redactValues } from '../activities/execution/redaction';
import { formatStatus, table } from './format';
import { portfolioHandle, portfolioOps } from './tradingClient';

const MAX_AGE_S = 300;
const CONFIRM_MS = 60_000;
const POLL_TIMEOUT_S = 25;
const MAX_REPLY = 4_000;

export interface TelegramControlOptions {
  bot: TelegramBot;
  allowedChats: readonly string[];
  defaultPortfolio: string;
  client: Client;
  log?: (line: string) => void;
  /** Long-poll timeout in seconds (tests use less). */
  pollTimeoutS?: number;
}

interface Message {
  message_id: number;
  date: number;
  text?: string;
  chat: { id: number };
}

interface Update {
  update_id: number;
  message?: Message;
}

const HELP = [
  '/status — state, cash, equity, halts, last cycle',
  '/positions — positions with their stops',
  '/pause [reason] · /resume · /stop',
  '/emergency_stop [reason] — halt and sell everything (asks to confirm)',
  '/use <portfolio> — act on another portfolio',
].join('\n');

export function startTelegramControl(opts: TelegramControlOptions): { stop(): Promise<void> } {
  const log = opts.log ?? ((line: string) => console.log(line));
  const allowed = new Set(opts.allowedChats.map(String));
  const current = new Map<string, string>();
  const confirmations = new Map<string, { code: string; portfolio: string; reason: string; until: number }>();
  const abort = new AbortController();
  const redact = (text: string) => redactValues(text, [opts.bot.token]);
  let offset = 0;

  const call = <T>(method: string, params: Record<string, unknown>, timeoutMs = 15_000) => {
    const signal = AbortSignal.any([abort.signal, AbortSignal.timeout(timeoutMs)]);
    return callBot<T>(opts.bot, method, params, { signal, timeoutMs, deliveryId: 'telegram-control' });
  };
  const reply = (chat: string, text: string) =>
    call('sendMessage', { chat_id: chat, text: text.length > MAX_REPLY ? `${text.slice(0, MAX_REPLY)} …` : text, disable_web_page_preview: true })
      .catch((err) => log(`telegram control: reply to chat ${chat} failed: ${redact((err as Error).message)}`));

  async function run(chat: string, command: string, arg: string): Promise<string> {
    const portfolio = current.get(chat) ?? opts.defaultPortfolio;
    const handle = () => portfolioHandle(opts.client, portfolio);
    switch (command) {
      case 'start':
      case 'help':
        return `Commands for portfolio ${portfolio}:\n${HELP}`;
      case 'use':
        if (!/^[\w-]+$/.test(arg)) return 'usage: /use <portfolio id>';
        current.set(chat, arg);
        return `this chat now acts on portfolio ${arg}`;
      case 'status':
        return formatStatus(await portfolioOps.status(handle()));
      case 'positions': {
        const status = await portfolioOps.status(handle());
        if (status.positions.length === 0) return `${portfolio}: no positions`;
        return table(['symbol', 'quantity', 'avg price'], status.positions.map((p) => [p.symbol, Number(p.quantity.toPrecision(8)), p.avgPrice.toFixed(2)]));
      }
      case 'pause':
        await portfolioOps.pause(handle(), arg || 'paused from Telegram');
        return `pause sent to ${portfolio}`;
      case 'resume':
        await portfolioOps.resume(handle());
        return `resume sent to ${portfolio}`;
      case 'stop':
        await portfolioOps.stop(handle(), arg || 'stopped from Telegram');
        return `stop sent to ${portfolio}: it finishes the current cycle, then completes`;
      case 'emergency_stop': {
        const code = String(randomInt(100_000, 1_000_000));
        confirmations.set(chat, { code, portfolio, reason: arg || 'emergency stop from Telegram', until: Date.now() + CONFIRM_MS });
        return `This halts ${portfolio} and SELLS EVERY POSITION. To go ahead, send /confirm ${code} within ${CONFIRM_MS / 1000} s.`;
      }
      case 'confirm': {
        const pending = confirmations.get(chat);
        if (!pending || pending.until < Date.now()) return 'no emergency stop is waiting for confirmation (send /emergency_stop first)';
        if (arg !== pending.code) return 'wrong confirmation code: nothing done';
        confirmations.delete(chat);
        await portfolioOps.emergencyStop(portfolioHandle(opts.client, pending.portfolio), pending.reason);
        return `emergency stop sent to ${pending.portfolio}: it cancels open orders and sells every position; only /resume ends the halt`;
      }
      default:
        return `unknown command /${command}\n${HELP}`;
    }
  }

  async function handle(message: Message): Promise<void> {
    const chat = String(message.chat.id);
    const text = message.text?.trim() ?? '';
    if (!allowed.has(chat)) {
      log(`telegram control: ignored a message from chat ${chat}, which is not allowed (NOTIFY_TELEGRAM_ALLOWED_CHATS)`);
      return;
    }
    const m = /^\/([a-z_]+)(?:@\w+)?(?:\s+([\s\S]*))?$/i.exec(text);
    if (!m) return;
    const command = m[1].toLowerCase();
    if (Date.now() / 1000 - message.date > MAX_AGE_S) {
      await reply(chat, `ignored /${command}: it was sent more than ${MAX_AGE_S / 60} minutes ago`);
      return;
    }
    log(`telegram control: /${command} from chat ${chat}`);
    let answer: string;
    try {
      answer = await run(chat, command, (m[2] ?? '').trim());
    } catch (err) {
      answer = `/${command} failed: ${redact((err as Error).message)}`;
    }
    await reply(chat, answer);
  }

  const loop = (async () => {
    let backoffMs = 1_000;
    while (!abort.signal.aborted) {
      try {
        const timeout = opts.pollTimeoutS ?? POLL_TIMEOUT_S;
        const updates = await call<Update[]>('getUpdates', { offset, timeout, allowed_updates: ['message'] }, (timeout + 10) * 1000);
        backoffMs = 1_000;
        for (const u of updates) {
          offset = Math.max(offset, u.update_id + 1);
          if (u.message) await handle(u.message);
        }
      } catch (err) {
        if (abort.signal.aborted) break;
        const e = err as DeliveryError;
        const wait = e instanceof DeliveryError && e.retryAfterMs !== undefined ? e.retryAfterMs : backoffMs;
        log(`telegram control: getUpdates failed (${redact(e.message)}); again in ${Math.round(wait / 1000)} s`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait);
          abort.signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
        });
        backoffMs = Math.min(backoffMs * 2, 60_000);
      }
    }
  })();

  return {
    async stop() {
      abort.abort();
      await loop;
    },
  };
}
