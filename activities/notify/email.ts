/**
 * E-mail through SMTP with nodemailer: one message per batch, subject from the most severe event. SMTP replies
 * say whether to try again: 4xx is temporary, 5xx permanent (RFC 5321 4.2.1); a connection that fails or stalls is
 * worth retrying, refused credentials are not.
 */
import nodemailer, { type Transporter } from 'nodemailer';
import { DeliveryError, type ChannelDefinition } from './channel';
import { renderText, subject } from './render';

function smtpFailure(err: unknown): DeliveryError {
  const e = err as { responseCode?: number; code?: string; message?: string };
  const message = `SMTP: ${e.message ?? String(err)}`;
  if (typeof e.responseCode === 'number') {
    if (e.responseCode >= 400 && e.responseCode < 500) return new DeliveryError(message, 'server_error', true);
    return new DeliveryError(message, 'rejected', false);
  }
  if (e.code === 'EAUTH' || e.code === 'EENVELOPE' || e.code === 'EMESSAGE') return new DeliveryError(message, 'rejected', false);
  if (e.code === 'ETIMEDOUT') return new DeliveryError(message, 'timeout', true);
  return new DeliveryError(message, 'network', true);
}

export const email: ChannelDefinition = {
  name: 'email',
  variables: {
    HOST: 'SMTP server host',
    PORT: 'SMTP port (default 587; 465 with SECURE=true)',
    SECURE: 'true: TLS from the first byte (port 465); otherwise STARTTLS when the server offers it',
    REQUIRE_TLS: 'true: refuse to send unless STARTTLS succeeds',
    USER: 'SMTP user name',
    PASSWORD: 'SMTP password (secret; or PASSWORD_FILE)',
    FROM: 'sender address',
    TO: 'recipient address(es), comma-separated',
  },
  fromEnv(env, filter) {
    const host = env.value('HOST');
    if (!host) return undefined;
    const from = env.value('FROM');
    const to = (env.value('TO') ?? '').split(',').map((a) => a.trim()).filter(Boolean);
    if (!from || to.length === 0) throw new Error(`${env.name('FROM')} and ${env.name('TO')} are required with ${env.name('HOST')}`);
    const secure = env.flag('SECURE');
    const port = Number(env.value('PORT') ?? (secure ? 465 : 587));
    if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`${env.name('PORT')} is not a port number: '${env.value('PORT')}'`);
    const user = env.value('USER');
    const pass = env.secret('PASSWORD');
    const requireTLS = env.flag('REQUIRE_TLS');
    const transports = new Map<number, Transporter>();
    // One transport per timeout, so nodemailer's own timers bound every phase of a delivery.
    const transport = (timeoutMs: number) => {
      let t = transports.get(timeoutMs);
      if (!t) {
        t = nodemailer.createTransport({
          host, port, secure, requireTLS,
          ...(user ? { auth: { user, pass } } : {}),
          connectionTimeout: timeoutMs, greetingTimeout: timeoutMs, socketTimeout: timeoutMs,
        });
        transports.set(timeoutMs, t);
      }
      return t;
    };
    return {
      name: 'email', filter, secrets: pass ? [pass] : [],
      async send(events, delivery) {
        try {
          await transport(delivery.timeoutMs).sendMail({
            from, to, subject: subject(events), text: renderText(events, 100_000),
            headers: { 'X-Trader-Delivery': delivery.deliveryId },
          });
        } catch (err) {
          throw smtpFailure(err);
        }
      },
      async close() {
        for (const t of transports.values()) t.close();
      },
    };
  },
};
