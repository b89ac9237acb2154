// Debian's Chromium driven by playwright-core, and screenshots kept under artifacts/.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { startServer } from './server.mjs';
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

// One real server and one browser for a test file, started before its tests and
// stopped after them. Returns an object whose fields are filled in by `before`.
export function serverAndBrowser({ before, after }) {
  const shared = {};
  before(async () => {
    shared.server = await startServer();
    shared.browser = await launchBrowser();
  });
  after(async () => {
    await shared.browser?.close();
    await shared.server?.stop();
  });
  return shared;
}
