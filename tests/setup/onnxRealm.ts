/**
 * Makes onnxruntime-node usable under Jest. Jest runs each test file in its own V8 realm, but the native
 * binding creates its output arrays in the main realm, so onnxruntime-common's `instanceof Float32Array`
 * check fails inside Jest only (tsx and the workers run in one realm and need nothing). Sharing the main
 * realm's constructor makes both sides see one Float32Array.
 *
 * It must run before onnxruntime-common loads (that module captures the constructor at load time): import it
 * first in a test file, or list it in jest.config.js `setupFiles` for every test that reaches inferSignals.
 */
import { runInThisContext } from 'node:vm';

globalThis.Float32Array = runInThisContext('Float32Array');
