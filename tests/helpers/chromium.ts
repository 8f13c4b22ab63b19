/**
 * Debian's Chromium (`apt-get install chromium`, which .ci/run does) driven by playwright-core: never a browser
 * downloaded by a test tool. The flags are those this kind of machine needs: as root, no sandbox; no network beyond
 * loopback, so no background networking, component updates, sync or QUIC.
 */
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
}
