// Debian's Chromium driven by playwright-core, and screenshots kept under artifacts/.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SIZES = {
  tablet: { width: 1024, height: 768 },
  phone: { width: 390, height: 844 },
  laptop: { width: 1440, height: 900 },
};

const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'artifacts');

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.HUIYUAN_CHROMIUM || '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}

export async function newPage(browser, baseUrl, size) {
  const context = await browser.newContext({ baseURL: baseUrl, viewport: SIZES[size], locale: 'zh-CN' });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return { context, page };
}

export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: false });
}
