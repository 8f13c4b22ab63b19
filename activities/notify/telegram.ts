/**
 * Telegram Bot API (https://core.telegram.org/bots/api#sendmessage): POST /bot<token>/sendMessage with
 * {chat_id, text} to each configured chat. Every answer is JSON `{"ok": true, "result": ...}` or
 * `{"ok": false, "error_code", "description", "parameters": {"retry_after"}}`; a flood limit is error_code 429 with
 * parameters.retry_after in seconds. The bot token is the secret (it is part of every URL). The same bot can take
 * commands from allow-listed chats: client/telegramControl.ts.
 */
import { DeliveryError, type ChannelDefinition, type ChannelEnv, type DeliveryOptions } from './channel';
import { checkStatus, parseJson, post, retryAfterMs, type HttpReply } from './http';
import { renderText } from './render';

export const TELEGRAM_API = 'https://api.telegram.org';
/** Telegram's limit on a message's text. */
const MAX_TEXT = 4_096;

export interface TelegramReply<T = unknown> {
  ok: boolean;
  result?: T;
  error_code?: number;
  description?: string;
  parameters?: { retry_after?: number };
}

export interface TelegramBot {
  token: string;
  apiUrl: string;
}

export function telegramBot(env: ChannelEnv): TelegramBot | undefined {
  const token = env.secret('BOT_TOKEN');
  if (!token) return undefined;
  return { token, apiUrl: (env.value('API_URL') ?? TELEGRAM_API).replace(/\/+$/, '') };
}

function retryAfter(reply: HttpReply): number | undefined {
  const body = parseJson(reply.text) as TelegramReply | undefined;
  const seconds = body?.parameters?.retry_after;
  return typeof seconds === 'number' ? seconds * 1000 : retryAfterMs(reply.headers.get('retry-after'));
}

/** Calls one Bot API method and returns its result, or throws a DeliveryError (never with the token in it). */
export async function callBot<T>(bot: TelegramBot, method: string, params: Record<string, unknown>, delivery: DeliveryOptions): Promise<T> {
  const reply = await post(`${bot.apiUrl}/bot${bot.token}/${method}`, JSON.stringify(params), {}, delivery);
  const body = parseJson(reply.text) as TelegramReply<T> | undefined;
  if (body === undefined || typeof body !== 'object' || typeof body.ok !== 'boolean') {
    // Not the Bot API speaking (a proxy's error page): whatever the status, nothing says the message went out.
    checkStatus(reply, `Telegram ${method}`, retryAfter);
    throw new DeliveryError(`Telegram ${method} answered HTTP ${reply.status} with something that is not the Bot API's JSON`, 'malformed', true);
  }
  if (!body.ok) {
    checkStatus({ ...reply, status: body.error_code ?? reply.status }, `Telegram ${method}`, retryAfter);
    throw new DeliveryError(`Telegram ${method} refused: ${body.description ?? 'no description'}`, 'rejected', false);
  }
  return body.result as T;
}

export const telegram: ChannelDefinition = {
  name: 'telegram',
  variables: {
    BOT_TOKEN: 'bot token from @BotFather (secret; or BOT_TOKEN_FILE)',
    CHAT_ID: 'chat id(s) to send to, comma-separated',
    API_URL: `Bot API base URL (default ${TELEGRAM_API})`,
    CONTROL: 'true: take commands (/status, /pause, ...) from the allowed chats',
    ALLOWED_CHATS: 'chat ids whose commands are obeyed (default: CHAT_ID)',
    PORTFOLIO: 'portfolio the commands act on when none is named (default: default)',
  },
  fromEnv(env, filter) {
    const bot = telegramBot(env);
    if (!bot) return undefined;
    const chats = (env.value('CHAT_ID') ?? '').split(',').map((c) => c.trim()).filter(Boolean);
    if (chats.length === 0) throw new Error(`${env.name('CHAT_ID')} is required with ${env.name('BOT_TOKEN')}: the chat(s) to send to`);
    return {
      name: 'telegram', filter, secrets: [bot.token],
      async send(events, delivery) {
        const text = renderText(events, MAX_TEXT);
        for (const chat of chats) await callBot(bot, 'sendMessage', { chat_id: chat, text, disable_web_page_preview: true }, delivery);
      },
    };
  },
};
