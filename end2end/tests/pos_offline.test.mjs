// The counter on a 1024×768 tablet, online and off. A sale with a member paying with
// points and stored value (PIN) while online; then the network drops: three sales, one
// paid from stored value, a reload while still offline with the queued sales still
// there; back online, the first push's answer is lost on the way and the batch is sent
// again, and the server holds each sale exactly once with the right balances.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { newPage, screenshot, serverAndBrowser } from './support/browser.mjs';
import { sel, staffLogin, scan, openCounter, chooseMember, pay, unsent, ean13 } from './support/pages.mjs';
import { memberWithValue, balances } from './support/api.mjs';

const shared = serverAndBrowser({ before, after });

const LONGJING = ean13('690123456701'); // 西湖龙井绿茶 18.00
const LATTE = ean13('690123456712'); // 拿铁

test('sell online and offline, reload offline, sync exactly once when the first answer is lost', async () => {
  const { baseUrl } = shared.server;
  // 张三丰: ¥1,000 topped up (+¥150 bonus), 1,000 points, PIN 246810.
  const { member, cashier } = await memberWithValue(baseUrl, { topupFen: 100_000, points: 1_000, pin: '246810' });
  const start = await balances(cashier, member.id);
  assert.equal(start.principal_fen + start.bonus_fen, 115_000);

  const { context, page } = await newPage(shared.browser, baseUrl, 'tablet');
  await staffLogin(page, 'cashier', 'demo1234', '/pos');
  await openCounter(page);

  // Online: two teas scanned, a latte, the member by the last four digits of the phone.
  await scan(page, LONGJING);
  await scan(page, LONGJING);
  await scan(page, LATTE);
  await page.locator(sel.cartLine).nth(1).waitFor();
  assert.equal(await page.locator(sel.cartLine).count(), 2);
  await chooseMember(page, '8000', '张三丰');
  const due = await page.locator(sel.amountDue).innerText();
  await screenshot(page, 'pos-cart-1024x768');
  // A wrong PIN is refused by the server and the cart stays as it was.
  await pay(page, { points: 200, storedValue: 'rest', pin: '111111' });
  await page.locator(sel.payError).waitFor();
  assert.match(await page.locator(sel.payError).innerText(), /密码/);
  await page.click(sel.payCancel);
  assert.equal(await page.locator(sel.cartLine).count(), 2);
  assert.equal(await page.locator(sel.amountDue).innerText(), due);
  await pay(page, { points: 200, storedValue: 'rest', pin: '246810' });
  await page.locator(sel.receipt).waitFor();
  const onlineReceipt = await page.locator(sel.receiptNo).innerText();
  assert.doesNotMatch(onlineReceipt, /^L-/);
  assert.equal(await page.locator(sel.receiptOffline).count(), 0);
  await screenshot(page, 'pos-receipt-1024x768');
  await page.click(sel.receiptDone);
  const afterOnline = await balances(cashier, member.id);
  assert.equal(afterOnline.points < start.points, true);
  const onlineSpent = start.principal_fen + start.bonus_fen - (afterOnline.principal_fen + afterOnline.bonus_fen);
  assert.ok(onlineSpent > 0);

  // Offline.
  await context.setOffline(true);
  await page.waitForFunction((s) => document.querySelector(s)?.dataset.online === 'false', sel.netStatus);
  // 1: a walk-in paying cash with change.
  await scan(page, LATTE);
  await page.locator(sel.cartLine).first().waitFor();
  await pay(page, { cash: 100 });
  await page.locator(sel.receiptOffline).waitFor();
  assert.match(await page.locator(sel.receiptNo).innerText(), /^L-/);
  await page.click(sel.receiptDone);
  // 2: the member, paying ¥36.00 of tea from stored value with the PIN checked on the tablet.
  await scan(page, LONGJING);
  await scan(page, LONGJING);
  await chooseMember(page, '8000', '张三丰');
  const offlineDue = await page.locator(sel.amountDue).innerText();
  await pay(page, { storedValue: 'rest', pin: '000000' });
  await page.locator(sel.payError).waitFor();
  assert.match(await page.locator(sel.payError).innerText(), /密码错误/);
  await page.fill(sel.payPin, '246810');
  await page.click(sel.payConfirm);
  await page.locator(sel.receiptOffline).waitFor();
  await screenshot(page, 'pos-offline-receipt-1024x768');
  await page.click(sel.receiptDone);
  // 3: the member again, in cash.
  await scan(page, LATTE);
  await chooseMember(page, '8000', '张三丰');
  await pay(page, { cash: 'rest' });
  await page.locator(sel.receiptOffline).waitFor();
  await page.click(sel.receiptDone);
  await page.waitForFunction((s) => document.querySelector(s)?.dataset.unsent === '3', sel.netStatus);

  // A reload while still offline: the counter opens from the kept shell, the sales wait.
  await page.reload();
  await page.locator(sel.posShell).waitFor();
  await page.waitForFunction((s) => document.querySelector(s)?.dataset.unsent === '3', sel.netStatus);
  assert.equal(await unsent(page), 3);
  await screenshot(page, 'pos-offline-reloaded-1024x768');
  // Logging out with sales unsent asks first; the cashier stays.
  let asked = '';
  page.once('dialog', async (dialog) => {
    asked = dialog.message();
    await dialog.dismiss();
  });
  await page.click(sel.logout);
  assert.match(asked, /3 笔未上传/);
  await page.locator(sel.posShell).waitFor();
  assert.equal(await unsent(page), 3);

  // Back online; the first push reaches the server but its answer is dropped.
  let dropped = 0;
  await page.route('**/api/v1/sync/push', async (route) => {
    if (dropped === 0) {
      dropped += 1;
      await route.fetch();
      await route.abort('connectionreset');
    } else {
      await route.continue();
    }
  });
  await context.setOffline(false);
  await page.evaluate(() => window.dispatchEvent(new Event('online')));
  await page.waitForFunction((s) => document.querySelector(s)?.dataset.unsent === '0', sel.netStatus, { timeout: 60_000 });
  assert.equal(dropped, 1);

  // The server: the member's purchases hold the online sale and the two offline ones, once.
  const purchases = await cashier.get(`/members/${member.id}/purchases`);
  const list = Array.isArray(purchases) ? purchases : purchases.purchases;
  assert.equal(list.length, 3, JSON.stringify(list));
  const end = await balances(cashier, member.id);
  const offlineSpent = Number(offlineDue.replace(/[^\d.]/g, '')) * 100;
  assert.equal(
    end.principal_fen + end.bonus_fen,
    afterOnline.principal_fen + afterOnline.bonus_fen - offlineSpent,
  );
  // The walk-in's cash sale is in the day's takings with the other three.
  const me = await cashier.get('/auth/me');
  const { admin } = await memberWithValue(baseUrl, {});
  const day = await admin.get(`/reports/takings?store_id=${me.store.id}`);
  assert.equal(day.takings.sales_count, 4);
  await context.close();
});
