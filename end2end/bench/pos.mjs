// The tablet cache benchmark, run by `cargo xtask bench pos` (server/benches/pos.rs),
// which seeds and serves the data. Not a test: it prints one JSON line of figures.
//
//   node bench/pos.mjs <base URL> <terms.json>
//
// terms.json holds `tails` and `cards`: phone tails and card numbers of seeded members.
// In one page of headless Chromium it measures
//   1. the counter's first sync: from the cashier's login at /login?next=/pos until
//      [data-testid="sync-last"] shows, and what IndexedDB then holds and weighs;
//   2. a naive loop in the same page: the same pull pages fetched with fetch() into a
//      second database with the same stores and indexes, one readwrite transaction per
//      record, each awaited, timed over its first NAIVE_SAMPLE records;
//      For reference, the app's way (one transaction a page) in plain JavaScript;
//   3. lookups through the client's own Rust code (`huiyuan_find_members`, exported by
//      app/src/bench_hooks.rs from the module the page has already initialised).
// Progress goes to stderr.
import { chromium } from 'playwright-core';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [baseUrl, termsFile] = process.argv.slice(2);
if (!baseUrl || !termsFile) {
  console.error('usage: node bench/pos.mjs <base URL> <terms.json>');
  process.exit(2);
}
const terms = JSON.parse(readFileSync(termsFile, 'utf8'));
const NAIVE_SAMPLE = Number(process.env.HUIYUAN_BENCH_NAIVE || 5_000);
const PLAIN_SAMPLE = Number(process.env.HUIYUAN_BENCH_PLAIN || 20_000);
const SYNC_TIMEOUT_MS = 600_000;
const WARM_UP = 20;

const log = (...parts) => console.error('  [pos bench]', ...parts);

function percentiles(latencies) {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];
  return {
    count: sorted.length,
    p50_ms: at(0.5),
    p95_ms: at(0.95),
    p99_ms: at(0.99),
    max_ms: sorted[sorted.length - 1],
  };
}

// A profile on disk, not an incognito context: an off-the-record context keeps
// IndexedDB in memory, which a tablet does not. Flags as tests/support/browser.mjs.
const profile = mkdtempSync(join(tmpdir(), 'huiyuan-bench-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.HUIYUAN_CHROMIUM || '/usr/bin/chromium',
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
  baseURL: baseUrl,
  viewport: { width: 1024, height: 768 },
  locale: 'zh-CN',
});

try {
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(30_000);
  page.on('pageerror', (error) => log('page error:', error.message));

  // The app's pull requests while its first sync runs: how long each waited for the
  // server's answer (request sent to the last byte), to tell the server's share of the
  // sync from the page's.
  const pulls = [];
  let appSyncing = true;
  page.on('requestfinished', (request) => {
    if (!appSyncing || !request.url().includes('/api/v1/sync/pull')) return;
    const timing = request.timing();
    if (timing.responseEnd > 0) pulls.push(timing.responseEnd - Math.max(0, timing.requestStart));
  });

  // 1. The first sync, as the cashier meets it.
  await page.goto('/login?next=/pos');
  await page.fill('[data-testid="login-username"]', 'cashier');
  await page.fill('[data-testid="login-password"]', 'demo1234');
  const started = performance.now();
  await page.click('[data-testid="login-submit"]');
  await page.locator('[data-testid="first-sync"]').waitFor();
  const progress = setInterval(async () => {
    const text = await page.locator('[data-testid="first-sync"]').textContent({ timeout: 1_000 }).catch(() => null);
    if (text) log(text.trim());
  }, 5_000);
  try {
    await page.locator('[data-testid="sync-last"]').waitFor({ timeout: SYNC_TIMEOUT_MS });
  } finally {
    clearInterval(progress);
  }
  const syncSeconds = (performance.now() - started) / 1000;
  appSyncing = false;
  const stored = await page.evaluate(async () => {
    const db = await new Promise((resolve, reject) => {
      const request = indexedDB.open('huiyuan-pos');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const count = (name) => new Promise((resolve, reject) => {
      const request = db.transaction(name).objectStore(name).count();
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const counts = { members: await count('members'), items: await count('items'), levels: await count('levels') };
    db.close();
    return counts;
  });
  // The rules are one record more, kept in `meta`.
  const records = stored.members + stored.items + stored.levels + 1;
  const estimate = await page.evaluate(() => navigator.storage.estimate());
  log(`first sync: ${records} records in ${syncSeconds.toFixed(1)} s`, JSON.stringify(stored));

  // 2. The naive loop (`perPage` false), and for reference the app's way in plain
  // JavaScript (`perPage` true: one transaction a page, puts not awaited one by one),
  // which tells IndexedDB's own cost from what the wasm side adds.
  const loop = (sample, perPage) => page.evaluate(async ({ sample, perPage }) => {
    const name = 'huiyuan-bench-naive';
    await new Promise((resolve) => {
      const request = indexedDB.deleteDatabase(name);
      request.onsuccess = request.onerror = request.onblocked = () => resolve();
    });
    // The stores and indexes of app/src/cache/db.rs.
    const db = await new Promise((resolve, reject) => {
      const request = indexedDB.open(name, 1);
      request.onupgradeneeded = () => {
        const upgrade = request.result;
        const members = upgrade.createObjectStore('members', { keyPath: 'id' });
        members.createIndex('phone_tail', 'phone_tail');
        members.createIndex('card_nos', 'card_nos', { multiEntry: true });
        const items = upgrade.createObjectStore('items', { keyPath: 'id' });
        items.createIndex('barcode', 'barcode');
        items.createIndex('code', 'code');
        upgrade.createObjectStore('levels', { keyPath: 'id' });
        upgrade.createObjectStore('meta');
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const stores = { member: 'members', item: 'items', level: 'levels' };
    const write = (storeName, act) => new Promise((resolve, reject) => {
      const tx = db.transaction(storeName, 'readwrite', { durability: 'relaxed' });
      act(tx.objectStore(storeName));
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
    let since = '';
    let written = 0;
    const started = performance.now();
    for (;;) {
      const query = new URLSearchParams({ limit: '5000' });
      if (since) query.set('since', since);
      const response = await fetch(`/api/v1/sync/pull?${query}`, {
        credentials: 'same-origin',
        headers: { Accept: 'application/json' },
      });
      if (!response.ok) throw new Error(`pull: ${response.status}`);
      const page = await response.json();
      if (perPage) {
        const changes = page.changes.slice(0, sample - written);
        await new Promise((resolve, reject) => {
          const tx = db.transaction(['members', 'items', 'levels', 'meta'], 'readwrite', { durability: 'relaxed' });
          for (const change of changes) {
            const record = change.record;
            if (change.entity === 'rules') {
              tx.objectStore('meta').put(record, 'rules');
            } else if (stores[change.entity] && record == null) {
              tx.objectStore(stores[change.entity]).delete(change.id);
            } else if (change.entity === 'member') {
              record.card_nos = [...(record.cards || []).map((card) => card.card_no), record.member_no];
              tx.objectStore('members').put(record);
            } else if (stores[change.entity]) {
              tx.objectStore(stores[change.entity]).put(record);
            }
          }
          tx.objectStore('meta').put(page.next, 'cursor');
          tx.oncomplete = () => resolve();
          tx.onerror = () => reject(tx.error);
          tx.onabort = () => reject(tx.error);
        });
        written += changes.length;
        since = page.next;
        if (written >= sample || !page.more) break;
        continue;
      }
      for (const change of page.changes) {
        if (written >= sample) break;
        const record = change.record;
        if (change.entity === 'rules') {
          await write('meta', (store) => store.put(record, 'rules'));
        } else if (stores[change.entity] && record == null) {
          await write(stores[change.entity], (store) => store.delete(change.id));
        } else if (change.entity === 'member') {
          record.card_nos = [...(record.cards || []).map((card) => card.card_no), record.member_no];
          await write('members', (store) => store.put(record));
        } else if (stores[change.entity]) {
          await write(stores[change.entity], (store) => store.put(record));
        }
        written += 1;
      }
      since = page.next;
      if (written >= sample || !page.more) break;
    }
    const seconds = (performance.now() - started) / 1000;
    db.close();
    await new Promise((resolve) => {
      const request = indexedDB.deleteDatabase(name);
      request.onsuccess = request.onerror = request.onblocked = () => resolve();
    });
    return { records: written, seconds, records_per_s: written / seconds };
  }, { sample, perPage });
  const naive = await loop(NAIVE_SAMPLE, false);
  log(`naive: ${naive.records} records in ${naive.seconds.toFixed(1)} s`);
  const plain = await loop(PLAIN_SAMPLE, true);
  log(`plain JavaScript, a transaction a page: ${plain.records} records in ${plain.seconds.toFixed(1)} s`);

  // 3. Lookups through the app's Rust code.
  const lookups = await page.evaluate(async ({ tails, cards, warmUp }) => {
    const app = await import('/pkg/huiyuan_app.js');
    if (typeof app.huiyuan_find_members !== 'function') {
      throw new Error('huiyuan_find_members is not exported by /pkg/huiyuan_app.js');
    }
    for (const term of tails.slice(0, warmUp).concat(cards.slice(0, warmUp))) {
      await app.huiyuan_find_members(term);
    }
    const time = async (list) => {
      const latencies = [];
      let found = 0;
      let missing = 0;
      for (const term of list) {
        const started = performance.now();
        const matches = await app.huiyuan_find_members(term);
        latencies.push(performance.now() - started);
        found += matches;
        if (matches === 0) missing += 1;
      }
      return { latencies, found, missing };
    };
    return { tail: await time(tails), card: await time(cards) };
  }, { tails: terms.tails, cards: terms.cards, warmUp: WARM_UP });
  const summary = (kind) => ({
    ...percentiles(kind.latencies),
    matches_avg: kind.found / kind.latencies.length,
    missing: kind.missing,
  });

  const results = {
    sync: {
      records,
      stored,
      seconds: syncSeconds,
      records_per_s: records / syncSeconds,
      pull_requests: pulls.length,
      pull_wait_seconds: pulls.reduce((sum, ms) => sum + ms, 0) / 1000,
    },
    naive,
    plain,
    ratio: records / syncSeconds / naive.records_per_s,
    storage: {
      usage_bytes: estimate.usage,
      indexeddb_bytes: estimate.usageDetails?.indexedDB ?? estimate.usage,
      details: estimate.usageDetails ?? null,
    },
    lookups: { tail: summary(lookups.tail), card: summary(lookups.card) },
  };
  log(`app ÷ naive: ${results.ratio.toFixed(1)}×`);
  log(`lookups by tail: p99 ${results.lookups.tail.p99_ms.toFixed(2)} ms; by card: p99 ${results.lookups.card.p99_ms.toFixed(2)} ms`);
  console.log(JSON.stringify(results));
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
