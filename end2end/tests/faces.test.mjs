// Each face at the size it is used at: the POS on a tablet, the member's card on a
// phone, HQ on a laptop. Screenshots of each are kept under end2end/artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { newPage, screenshot, serverAndBrowser } from './support/browser.mjs';
import { sel, staffLogin, memberLogin } from './support/pages.mjs';

const shared = serverAndBrowser({ before, after });

test('POS shell at tablet size shows the store, the cashier and the network state', async () => {
  const { context, page } = await newPage(shared.browser, shared.server.baseUrl, 'tablet');
  await staffLogin(page, 'cashier', 'demo1234');
  await page.locator(sel.posShell).waitFor();
  const text = await page.locator(sel.posShell).innerText();
  assert.match(text, /上海南京路店/);
  assert.match(await page.locator(sel.netStatus).innerText(), /在线/);
  await context.setOffline(true);
  await page.waitForFunction((s) => /离线/.test(document.querySelector(s)?.innerText ?? ''), sel.netStatus);
  await context.setOffline(false);
  await screenshot(page, 'face-pos-1024x768');
  await context.close();
});

test('member face at phone size: log in, see points and balance', async () => {
  const { context, page } = await newPage(shared.browser, shared.server.baseUrl, 'phone');
  await memberLogin(page, '13800138000', 'wrong-pass1');
  await page.locator(sel.memberError).waitFor();
  assert.match(await page.locator(sel.memberError).innerText(), /错误/);
  await page.fill(sel.memberPassword, 'demo1234');
  await page.click(sel.memberSubmit);
  await page.locator(sel.memberPoints).waitFor();
  const shell = await page.locator(sel.mShell).innerText();
  assert.match(shell, /张三丰/);
  assert.match(shell, /138\*\*\*\*8000/);
  assert.match(await page.locator(sel.memberBalance).innerText(), /¥0\.00/);
  assert.match(await page.locator(sel.memberPoints).innerText(), /^\s*0\s*$/);
  await screenshot(page, 'face-member-390x844');
  await page.reload();
  await page.locator(sel.memberPoints).waitFor();
  await page.click(sel.memberLogout);
  await page.locator(sel.memberPhone).waitFor();
  await context.close();
});

test('HQ at laptop size: staff list, store tree and the audit log of the logins', async () => {
  const { context, page } = await newPage(shared.browser, shared.server.baseUrl, 'laptop');
  await staffLogin(page, 'admin', 'demo1234');
  await page.locator(sel.hqShell).waitFor();
  await screenshot(page, 'face-hq-1440x900');
  await page.goto('/hq/staff');
  await page.locator(sel.staffTable).waitFor();
  const staff = await page.locator(sel.staffTable).innerText();
  for (const name of ['admin', 'manager', 'cashier', '刘收银']) assert.match(staff, new RegExp(name));
  await page.goto('/hq/stores');
  await page.waitForFunction(() => /杭州西湖店/.test(document.body.innerText));
  await page.goto('/hq/audit');
  await page.locator(sel.auditTable).waitFor();
  await page.waitForFunction((s) => /auth\.login/.test(document.querySelector(s)?.innerText ?? ''), sel.auditTable);
  await screenshot(page, 'hq-audit-1440x900');
  await context.close();
});
