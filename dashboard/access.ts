/**
 * Who may do what, checked on every request before its handler runs (settings.ts states the rules).
 *
 * One credential can arrive three ways: `Authorization: Bearer <token>` (scripts), `Authorization: Basic` (the
 * browser's own prompt, when DASHBOARD_USER is set) and the session cookie the sign-in page sets (its value is an
 * HMAC of the token, so the cookie is not the token). Written here rather than composed from @fastify/bearer-auth,
 * @fastify/basic-auth and @fastify/auth: those three plugins would still need this per-route policy (public, read,
 * control) and the sign-in cookie around them, and the checks themselves are a constant-time comparison each.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sessionValue, type DashboardSettings } from './settings';

/** public: assets and the sign-in page; read: pages and their data; control: anything that signals a workflow. */
export type Access = 'public' | 'read' | 'control';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    /** Whether the request carries valid credentials (always false when none are configured). */
    signedIn: boolean;
  }
}

export const SESSION_COOKIE = 'cockpit_session';

export function sameSecret(given: string, expected: string): boolean {
  // Hashing first makes the comparison constant-time whatever the lengths.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export function credentialsConfigured(s: DashboardSettings): boolean {
  return s.token !== undefined || s.basic !== undefined;
}

export function isSignedIn(request: FastifyRequest, s: DashboardSettings): boolean {
  const header = request.headers.authorization ?? '';
  if (s.token !== undefined) {
    const bearer = /^Bearer\s+(.+)$/i.exec(header);
    if (bearer && sameSecret(bearer[1].trim(), s.token)) return true;
    const cookie = request.cookies?.[SESSION_COOKIE];
    if (cookie && sameSecret(cookie, sessionValue(s.token))) return true;
  }
  if (s.basic) {
    const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header);
    if (basic) {
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) {
        // Both compared, always, so the time taken does not tell which one was wrong.
        const userOk = sameSecret(decoded.slice(0, colon), s.basic.user);
        const passwordOk = sameSecret(decoded.slice(colon + 1), s.basic.password);
        if (userOk && passwordOk) return true;
      }
    }
  }
  return false;
}

function hostName(request: FastifyRequest): string {
  const host = (request.headers.host ?? '').toLowerCase();
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']'));
  const colon = host.lastIndexOf(':');
  return colon >= 0 ? host.slice(0, colon) : host;
}

function refuse(request: FastifyRequest, reply: FastifyReply, s: DashboardSettings, access: Access): FastifyReply {
  if (s.basic) reply.header('www-authenticate', 'Basic realm="trader cockpit", charset="UTF-8"');
  const wantsPage = request.method === 'GET' && (request.headers.accept ?? '').includes('text/html');
  if (wantsPage && s.token !== undefined && !s.basic) {
    return reply.redirect(`/login?next=${encodeURIComponent(request.url)}`, 303);
  }
  const what = access === 'control' ? 'controls need' : 'this page needs';
  return reply.code(401).type('text/plain').send(`${what} the cockpit's credentials (sign in at /login, or send them in an Authorization header)`);
}

/** The static files (our stylesheet and script, the chart libraries): the sign-in page needs them too. */
const isAssetRoute = (route: string | undefined) => route !== undefined && (route.startsWith('/assets/') || route.startsWith('/vendor/'));

export function installAccess(app: FastifyInstance, s: DashboardSettings): void {
  app.decorateRequest('signedIn', false);
  app.addHook('onRequest', async (request, reply) => {
    if (s.allowedHosts.length > 0 && !s.allowedHosts.includes(hostName(request))) {
      return reply.code(421).type('text/plain').send(`host '${hostName(request)}' is not served here (DASHBOARD_ALLOWED_HOSTS lists extra names)`);
    }
    request.signedIn = credentialsConfigured(s) && isSignedIn(request, s);
    const access: Access = request.routeOptions.config?.access ?? (isAssetRoute(request.routeOptions.url) ? 'public' : 'read');
    if (access === 'public' || !credentialsConfigured(s) || request.signedIn) return;
    if (access === 'read' && s.publicRead) return;
    return refuse(request, reply, s, access);
  });
}
