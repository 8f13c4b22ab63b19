/** The market every symbol's cross-asset features are measured against; fetched each cycle even when not traded. */
export const REFERENCE_SYMBOL = 'BTC/USDT';
