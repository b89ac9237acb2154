// Two tablets at two tills, both offline, both spend the same member's stored value.
// Each alone is within what the member holds; together they are not. When they come back
// online both sales are recorded, the second overdraws, and HQ sees it in its list of
// offline overdrafts and settles it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { newPage, screenshot, serverAndBrowser } from './support/browser.mjs';
import { sel, staffLogin, scan, openCounter, chooseMember, pay, ean13 } from './support/pages.mjs';
import { memberWithValue, balances } from './support/api.mjs';

const shared = serverAndBrowser({ before, after });
const COOKIES = ean13('690123456721'); // 手工曲奇

test('two offline tablets overdraw one member and HQ sees the conflict', async () => {
  const { baseUrl } = shared.server;
  // 李小龙 holds ¥100.00 of principal; no PIN.
  const { member, cashier } = await memberWithValue(baseUrl, { phone: '13900139000', topupFen: 10_000 });

  const tablets = [];
  for (const name of ['a', 'b']) {
    const tablet = await newPage(shared.browser, baseUrl, 'tablet');
    await staffLogin(tablet.page, 'cashier', 'demo1234', '/pos');
    await openCounter(tablet.page);
    tablets.push(tablet);
  }
  for (const { context, page } of tablets) {
    await context.setOffline(true);
    await page.waitForFunction((s) => document.querySelector(s)?.dataset.online === 'false', sel.netStatus);
  }
  // Each tablet sells the member cookies for stored value: within ¥100 on each, ¥x2 in all.
  const dues = [];
  for (const { page } of tablets) {
    await scan(page, COOKIES);
    await scan(page, COOKIES);
    await chooseMember(page, '9000', '李小龙');
    dues.push(Number((await page.locator(sel.amountDue).innerText()).replace(/[^\d.]/g, '')) * 100);
    await pay(page, { storedValue: 'rest' });
    await page.locator(sel.receiptOffline).waitFor();
    await page.click(sel.receiptDone);
  }
  const spent = dues[0] + dues[1];
  assert.ok(dues[0] <= 10_000 && spent > 10_000, `dues ${dues}`);

  for (const { context, page } of tablets) {
    await context.setOffline(false);
    await page.evaluate(() => window.dispatchEvent(new Event('online')));
    await page.waitForFunction((s) => document.querySelector(s)?.dataset.unsent === '0', sel.netStatus, { timeout: 60_000 });
  }
  const end = await balances(cashier, member.id);
  assert.equal(end.principal_fen + end.bonus_fen, 10_000 - spent);

  // HQ: the manager finds the overdraft and settles it.
  const hq = await newPage(shared.browser, baseUrl, 'laptop');
  await staffLogin(hq.page, 'admin', 'demo1234', '/hq/offline');
  const row = hq.page.locator(sel.overdraftRow, { hasText: '李小龙' });
  await row.waitFor();
  assert.equal(await hq.page.locator(sel.overdraftRow).count(), 1);
  assert.ok((await row.innerText()).includes(((spent - 10_000) / 100).toFixed(2)), await row.innerText());
  await screenshot(hq.page, 'hq-offline-overdrafts-1440x900');
  await row.locator('[data-testid="overdraft-note"]').fill('会员已补缴现金');
  await row.locator('[data-testid="overdraft-resolve"]').click();
  await hq.page.locator('[data-testid="overdrafts-none"]').waitFor();
  for (const tablet of [...tablets, hq]) await tablet.context.close();
});
