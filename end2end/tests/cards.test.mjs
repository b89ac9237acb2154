// Member cards at HQ and the member's QR code on the phone: HQ makes a batch and hands
// part of it to a store; a card issued there is found at HQ and reported lost; the
// member's phone shows a QR code that the till's lookup accepts. Screenshots of each
// screen are kept under end2end/artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { newPage, screenshot, serverAndBrowser } from './support/browser.mjs';
import { sel, staffLogin, memberLogin } from './support/pages.mjs';

const shared = serverAndBrowser({ before, after });

const cards = {
  batchCount: '[data-testid="batch-count"]',
  batchPrefix: '[data-testid="batch-prefix"]',
  batchSubmit: '[data-testid="batch-submit"]',
  batches: '[data-testid="stock-batches"]',
  counts: '[data-testid="stock-counts"]',
  handoverCount: '[data-testid="handover-count"]',
  handoverSubmit: '[data-testid="handover-submit"]',
  handoverDone: '[data-testid="handover-done"]',
  search: '[data-testid="card-search"]',
  searchSubmit: '[data-testid="card-search-submit"]',
  state: '[data-testid="card-state"]',
  member: '[data-testid="card-member"]',
  reason: '[data-testid="card-reason"]',
  lost: '[data-testid="act-lost"]',
  found: '[data-testid="act-found"]',
  notice: '[data-testid="card-notice"]',
  store: '[data-testid="card-store"]',
  showQr: '[data-testid="m-show-qr"]',
  qr: '[data-testid="qr-code"] svg',
  countdown: '[data-testid="qr-countdown"]',
};

test('HQ makes card stock, hands it to a store, and reports an issued card lost', async () => {
  const { context, page } = await newPage(shared.browser, shared.server.baseUrl, 'laptop');
  await staffLogin(page, 'admin', 'demo1234');
  await page.locator(sel.hqShell).waitFor();
  await page.goto('/hq/card-stock');
  await page.fill(cards.batchCount, '50');
  await page.fill(cards.batchPrefix, '66');
  await page.click(cards.batchSubmit);
  await page.waitForFunction((s) => /66\d{10}/.test(document.querySelector(s)?.innerText ?? ''), cards.batches);
  await page.fill(cards.handoverCount, '12');
  await page.click(cards.handoverSubmit);
  await page.locator(cards.handoverDone).waitFor();
  await page.waitForFunction((s) => /上海南京路店[\s\S]*12/.test(document.querySelector(s)?.innerText ?? ''), cards.counts);
  const counts = await page.locator(cards.counts).innerText();
  assert.match(counts, /惠远连锁总部\s+库存\s+38/);
  await screenshot(page, 'hq-card-stock-1440x900');

  // The store's cashier issues one of its stock cards to a member (as the till would).
  const api = async (method, path, data) => {
    const response = await page.request.fetch(path, { method, data });
    assert.ok(response.ok(), `${method} ${path}: ${response.status()} ${await response.text()}`);
    return response.json();
  };
  const stores = await api('GET', '/api/v1/stores');
  const s001 = stores.find((store) => store.code === 'S001').id;
  const members = await api('GET', '/api/v1/members?q=13800138000');
  const stock = await api('GET', '/api/v1/card-stock');
  const batch = stock.batches[0];
  const card = await api('POST', '/api/v1/cards', {
    member_id: members.members[0].id, store_id: s001, card_no: batch.first_card_no,
  });
  assert.equal(card.state, 'active');

  await page.goto('/hq/cards');
  await page.fill(cards.search, card.card_no);
  await page.click(cards.searchSubmit);
  await page.locator(cards.state).waitFor();
  assert.match(await page.locator(cards.member).innerText(), /张三丰/);
  assert.match(await page.locator(cards.state).innerText(), /正常/);
  await page.fill(cards.reason, '顾客电话挂失');
  await page.click(cards.lost);
  await page.waitForFunction((s) => /已挂失/.test(document.querySelector(s)?.innerText ?? ''), cards.state);
  await page.locator(cards.found).waitFor();
  await page.locator(cards.notice).waitFor();
  await page.waitForFunction((s) => /上海南京路店/.test(document.querySelector(s)?.innerText ?? ''), cards.store);
  await screenshot(page, 'hq-cards-1440x900');
  const refused = await page.request.get(`/api/v1/members/by-card?card=${card.card_no}`);
  assert.equal(refused.status(), 422);
  assert.equal((await refused.json()).code, 'card_lost');
  await context.close();
});

test('the member shows a QR code that the till accepts once', async () => {
  const { context, page } = await newPage(shared.browser, shared.server.baseUrl, 'phone');
  await memberLogin(page, '13800138000', 'demo1234');
  await page.locator(sel.memberPoints).waitFor();
  await screenshot(page, 'member-home-390x844');
  await page.click(cards.showQr);
  await page.locator(cards.qr).waitFor();
  assert.match(await page.locator(cards.countdown).innerText(), /\d+/);
  await screenshot(page, 'member-qr-390x844');

  // The token behind the picture is what the till scans: ask for one as the phone does.
  const code = await (await page.request.post('/api/v1/member/qr', { data: {} })).json();
  const till = await newPage(shared.browser, shared.server.baseUrl, 'tablet');
  await staffLogin(till.page, 'cashier', 'demo1234');
  await till.page.locator(sel.posShell).waitFor();
  const found = await till.page.request.get(`/api/v1/members/by-card?card=${code.token}`);
  assert.equal(found.status(), 200);
  assert.equal((await found.json()).member.name, '张三丰');
  await till.context.close();
  await context.close();
});
