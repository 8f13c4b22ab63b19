/**
 * The portfolio workflow's state is carried whole through continue-as-new and handed to every cycle: one Temporal
 * payload, refused by the server above 2 MB (its default blob limit), after which the workflow task fails in a loop
 * and neither `status` nor `stop` work. So the state is kept bounded: update validators refuse a change that would
 * make it large, texts that operators or failures feed into it are clipped, and the workflow continues as new
 * long before the limit. Pure and deterministic (workflow code).
 */

/** Temporal's default payload size limit (the server's blob size limit). */
export const PAYLOAD_LIMIT_BYTES = 2 * 1024 * 1024;
/** Continue-as-new once the carried input passes this: a quarter of the limit, a margin no cycle's growth crosses. */
export const CONTINUE_AS_NEW_AT_BYTES = 512 * 1024;
/** An update that would leave a state (with its configuration) larger than this is refused. */
export const MAX_STATE_BYTES = 256 * 1024;
/** Longest operator or failure text kept in the state (pause and halt reasons, the last cycle's error). */
export const MAX_STATE_TEXT = 2_000;

/** UTF-8 size of a JSON value, as Temporal's JSON payload converter would encode it. */
export function jsonBytes(value: unknown): number {
  const text = JSON.stringify(value) ?? '';
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff) {
      bytes += 4;
      i += 1;
    } else bytes += 3;
  }
  return bytes;
}

/** `text` cut to MAX_STATE_TEXT characters (marked), or as is. */
export function clipText<T extends string | undefined>(text: T, max = MAX_STATE_TEXT): T {
  if (text === undefined || text.length <= max) return text;
  return `${text.slice(0, max - 24)}… [${text.length - max + 24} chars cut]` as T;
}

/** Why a state of this size cannot be accepted, or undefined. */
export function stateBudgetRefusal(state: unknown): string | undefined {
  const bytes = jsonBytes(state);
  if (bytes <= MAX_STATE_BYTES) return undefined;
  return `the portfolio's state would be ${bytes} bytes with this change, more than the ${MAX_STATE_BYTES} allowed (Temporal refuses payloads over ${PAYLOAD_LIMIT_BYTES})`;
}
