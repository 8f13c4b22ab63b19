/**
 * Loads ccxt on first use instead of at import time.
 *
 * ccxt's CommonJS build requires ESM-only packages (@noble/*). Node >= 20.19 loads them natively, but Jest's module
 * registry cannot, so ccxt is loaded through Node's own require (Jest replaces `node:module`, hence
 * getBuiltinModule). Being lazy also spares replay and sim workers ccxt's half-second start-up.
 */
import type * as Ccxt from 'ccxt';

export type CcxtModule = typeof Ccxt;

let ccxt: CcxtModule | undefined;

export function loadCcxt(): CcxtModule {
  if (!ccxt) {
    const { createRequire } = process.getBuiltinModule('node:module');
    ccxt = createRequire(__filename)('ccxt') as CcxtModule;
  }
  return ccxt;
}
