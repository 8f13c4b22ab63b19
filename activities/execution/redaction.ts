/**
 * Keeps credentials out of error messages and logs. Exchange libraries and exchanges sometimes echo a key back
 * (in a URL, a header dump or an error body), so every message leaving the execution activities goes through
 * redact(), which knows every credential this process has read, in the encodings they travel in.
 */
import { configuredSecretValues } from './exchangeSettings';

export const REDACTED = '[REDACTED]';

/** Shorter values would redact ordinary words; no real credential is this short. */
const MIN_SECRET_LENGTH = 6;

// Credentials used by connectors, remembered even if the environment changes later.
const inUse = new Set<string>();

export function rememberSecrets(values: readonly string[]): void {
  for (const v of values) if (v.length >= MIN_SECRET_LENGTH) inUse.add(v);
}

/** The forms a secret can take in a message: raw, URL-encoded, JSON-escaped, and each line of a multi-line key. */
function variants(secret: string): string[] {
  const forms = new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]);
  for (const line of secret.split(/\r?\n/)) {
    const body = line.trim();
    // PEM armour lines (-----BEGIN ...) are public boilerplate.
    if (body.length >= 16 && !body.startsWith('-----')) forms.add(body);
  }
  return [...forms].filter((f) => f.length >= MIN_SECRET_LENGTH);
}

export function redactValues(text: string, secrets: Iterable<string>): string {
  // Longest first, so a secret containing another is replaced whole.
  const forms = [...new Set([...secrets].flatMap(variants))].sort((a, b) => b.length - a.length);
  return forms.reduce((t, form) => t.split(form).join(REDACTED), text);
}

export function redact(text: string): string {
  return redactValues(text, [...inUse, ...configuredSecretValues()]);
}
