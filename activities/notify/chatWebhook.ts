/**
 * What Slack's and Discord's incoming webhooks have in common: the webhook URL is the whole credential (read from
 * NOTIFY_<NAME>_WEBHOOK_URL or its _FILE), a batch is one POST of rendered text cut to the service's limit, and
 * the reply is classified by ./http.ts. A service supplies only where to post, the body it wants and how it says
 * yes. Adding a chat service with an incoming webhook (Mattermost, Teams, Rocket.Chat) is one call of this.
 */
import type { ChannelDefinition } from './channel';
import { checkStatus, post, type HttpReply } from './http';
import { renderText } from './render';

export interface ChatWebhookService {
  name: string;
  /** The service's name in error messages. */
  label: string;
  /** What the URL variable is, for the README's table. */
  urlDescription: string;
  /** The longest text one message may carry. */
  maxText: number;
  /** The URL posted to, derived from the configured webhook URL (e.g. with query parameters the service needs). */
  target?(webhookUrl: string): string;
  body(text: string): unknown;
  /** The service's own Retry-After, when it puts it in the body rather than the header. */
  retryAfter?(reply: HttpReply): number | undefined;
  /** Throws when a 2xx reply still does not say the message was taken. */
  confirm?(reply: HttpReply): void;
}

export function chatWebhookChannel(service: ChatWebhookService): ChannelDefinition {
  return {
    name: service.name,
    variables: { WEBHOOK_URL: `${service.urlDescription} (secret; or WEBHOOK_URL_FILE)` },
    fromEnv(env, filter) {
      const url = env.secret('WEBHOOK_URL');
      if (!url) return undefined;
      const target = service.target?.(url) ?? url;
      return {
        name: service.name, filter, secrets: target === url ? [url] : [url, target],
        async send(events, delivery) {
          const body = JSON.stringify(service.body(renderText(events, service.maxText)));
          const reply = await post(target, body, {}, delivery);
          checkStatus(reply, service.label, service.retryAfter);
          service.confirm?.(reply);
        },
      };
    },
  };
}
