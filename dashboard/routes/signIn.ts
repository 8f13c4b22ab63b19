/**
 * Sign-in with the token: the browser gets a session cookie (HttpOnly, SameSite=Strict) holding an HMAC of the
 * token, never the token. The form carries a CSRF token like every other form.
 */
import type { FastifyInstance } from 'fastify';
import { credentialsConfigured, sameSecret, SESSION_COOKIE } from '../access';
import type { CockpitDeps } from '../server';
import { sessionValue } from '../settings';
import { chrome } from './pages';
import { render } from '../views';

/** Only paths on this server: `//host` or a scheme would send the browser elsewhere. */
function safeNext(next: unknown): string {
  return typeof next === 'string' && next.startsWith('/') && !next.startsWith('//') && !next.includes('\\') ? next : '/';
}

export function registerSignIn(app: FastifyInstance, { settings }: CockpitDeps): void {
  const page = { config: { access: 'public' as const } };

  app.get<{ Querystring: { next?: string; failed?: string } }>('/login', page, async (request, reply) => {
    const c = chrome(request, reply, settings, 'Sign in', '');
    return reply.type('text/html').send(render('login', c, {
      next: safeNext(request.query.next),
      failed: request.query.failed === '1',
      tokenConfigured: settings.token !== undefined,
      basicConfigured: settings.basic !== undefined,
      credentials: credentialsConfigured(settings),
    }));
  });

  app.post<{ Body: { token?: string; next?: string } }>('/login', { ...page, preHandler: app.csrfProtection }, async (request, reply) => {
    const next = safeNext(request.body?.next);
    const given = request.body?.token ?? '';
    if (settings.token === undefined || given.length === 0 || !sameSecret(given, settings.token)) {
      return reply.redirect(`/login?failed=1&next=${encodeURIComponent(next)}`, 303);
    }
    reply.setCookie(SESSION_COOKIE, sessionValue(settings.token), { path: '/', httpOnly: true, sameSite: 'strict', secure: 'auto' });
    return reply.redirect(next, 303);
  });

  app.post('/logout', { ...page, preHandler: app.csrfProtection }, async (_request, reply) => {
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.redirect('/login', 303);
  });
}
