// The login flow as a cashier and a manager meet it: a wrong password gets a clear
// Chinese message, each role lands on its own face, the language choice is remembered,
// and logging out ends the session on the server too.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { newPage, screenshot, serverAndBrowser } from './support/browser.mjs';
import { sel, staffLogin } from './support/pages.mjs';

const shared = serverAndBrowser({ before, after });

test('a wrong password shows a clear Chinese message and stays on the login page', async () => {
  const { context, page } = await newPage(shared.browser, shared.server.baseUrl, 'tablet');
  await staffLogin(page, 'cashier', 'wrong-password');
  const error = page.locator(sel.loginError);
  await error.waitFor();
  assert.match(await error.innerText(), /用户名或密码错误/);
  assert.match(page.url(), /\/login/);
  await screenshot(page, 'login-wrong-password-tablet');
  await context.close();
});

test('the cashier lands on the POS, and the POS is refused to nobody logged in', async () => {
  const { context, page } = await newPage(shared.browser, shared.server.baseUrl, 'tablet');
  await page.goto('/pos');
  await page.waitForURL(/\/login\?next=/);
  await page.fill(sel.username, 'cashier');
  await page.fill(sel.password, 'demo1234');
  await page.click(sel.submit);
  await page.locator(sel.posShell).waitFor();
  assert.match(page.url(), /\/pos$/);
  assert.equal(await page.locator(sel.staffName).innerText(), '刘收银');
  await screenshot(page, 'pos-tablet');
  await context.close();
});

test('the cashier may not open HQ', async () => {
  const { context, page } = await newPage(shared.browser, shared.server.baseUrl, 'laptop');
  await staffLogin(page, 'cashier', 'demo1234');
  await page.locator(sel.posShell).waitFor();
  await page.goto('/hq');
  await page.locator(sel.forbidden).waitFor();
  assert.match(await page.locator(sel.forbidden).innerText(), /没有权限/);
  await context.close();
});

test('the admin lands on HQ; logging out ends the session', async () => {
  const { context, page } = await newPage(shared.browser, shared.server.baseUrl, 'laptop');
  await staffLogin(page, 'admin', 'demo1234');
  await page.locator(sel.hqShell).waitFor();
  assert.match(page.url(), /\/hq/);
  await page.click(sel.logout);
  await page.waitForURL(/\/login/);
  const me = await page.request.get('/api/v1/auth/me');
  assert.equal(me.status(), 401, 'the session cookie no longer works');
  await page.goto('/hq');
  await page.waitForURL(/\/login\?next=/);
  await context.close();
});

test('the language switch changes the texts and is remembered after a reload', async () => {
  const { context, page } = await newPage(shared.browser, shared.server.baseUrl, 'tablet');
  await page.goto('/login');
  await page.locator(sel.submit).waitFor();
  assert.match(await page.locator(sel.submit).innerText(), /登录/);
  await page.selectOption(sel.langSwitch, 'en');
  await page.waitForFunction((s) => /log in|sign in/i.test(document.querySelector(s)?.innerText ?? ''), sel.submit);
  await page.reload();
  await page.locator(sel.submit).waitFor();
  assert.match(await page.locator(sel.submit).innerText(), /log in|sign in/i);
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
  await page.selectOption(sel.langSwitch, 'zh-TW');
  await page.waitForFunction((s) => /登入|登錄/.test(document.querySelector(s)?.innerText ?? ''), sel.submit);
  await screenshot(page, 'login-zh-tw-tablet');
  await context.close();
});
