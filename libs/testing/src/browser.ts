import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';

/** Debian's Chromium (apt-get install chromium), which the console tests drive. */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Starts headless Chromium with a fresh profile and its background
 * networking off (this machine reaches nothing outside 127.0.0.1).
 */
export async function launchChromium(
  options: { width?: number; height?: number; colorScheme?: 'light' | 'dark' } = {},
): Promise<BrowserContext> {
  const { chromium } = await import('playwright-core');
  return chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'panoptes-chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: options.width ?? 1366, height: options.height ?? 768 },
    colorScheme: options.colorScheme,
  });
}
