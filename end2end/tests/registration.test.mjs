// Registration end to end, each face at its own size: someone registers on their phone
// with the SMS code the server sent (read from the development provider's log line) and
// a friend's referral code, waits for approval and cannot log in meanwhile; a manager
// approves them at /hq and the referrer earns the demo rules' 100 points; a cashier finds
// them at /pos by the last four digits of the phone; then they log in on the phone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { newPage, screenshot, serverAndBrowser } from './support/browser.mjs';
import { sel, staffLogin, memberLogin, registerCodeSentTo, staffToken } from './support/pages.mjs';

const shared = serverAndBrowser({ before, after });

const PHONE = '13912345678';
const PASSWORD = 'welcome123';
const NAME = '林小雨';

test('register with an SMS code at /m, approve at /hq, find by the last four digits at /pos', async () => {
  const { baseUrl } = shared.server;
  // The referrer: the demo member 张三丰, whose member number is their referral code.
  const token = await staffToken(baseUrl, 'cashier', 'demo1234');
  const found = await fetch(`${baseUrl}/api/v1/members?q=13800138000`, {
    headers: { authorization: `Bearer ${token}` },
  }).then((response) => response.json());
  const referralCode = found.members[0].member_no;

  // The phone: from the login form to the registration form, code, details, submit.
  const phone = await newPage(shared.browser, baseUrl, 'phone');
  await phone.page.goto('/m');
  await phone.page.click(sel.registerLink);
  await phone.page.fill(sel.registerPhone, PHONE);
  await phone.page.click(sel.registerGetCode);
  await phone.page.locator(sel.registerCodeSent).waitFor();
  assert.match(await phone.page.locator(sel.registerGetCode).innerText(), /秒后重发/);
  assert.equal(await phone.page.locator(sel.registerGetCode).isDisabled(), true);
  const code = await registerCodeSentTo(shared.server, PHONE);
  await phone.page.fill(sel.registerCode, code);
  await phone.page.fill(sel.registerName, NAME);
  await phone.page.fill(sel.registerPassword, PASSWORD);
  await phone.page.fill(sel.registerReferral, referralCode);
  await screenshot(phone.page, 'register-form-390x844');
  await phone.page.click(sel.registerSubmit);
  await phone.page.locator(sel.registerPending).waitFor();
  assert.match(await phone.page.locator(sel.registerPending).innerText(), /等待审核/);
  await screenshot(phone.page, 'register-pending-390x844');
  // Until approved, logging in is refused with the reason.
  await memberLogin(phone.page, PHONE, PASSWORD);
  await phone.page.locator(sel.memberError).waitFor();
  assert.match(await phone.page.locator(sel.memberError).innerText(), /等待审核/);

  // HQ: the manager opens the queue from the navigation and approves.
  const hq = await newPage(shared.browser, baseUrl, 'laptop');
  await staffLogin(hq.page, 'manager', 'demo1234');
  await hq.page.locator(sel.hqShell).waitFor();
  await hq.page.click(sel.navApprovals);
  const row = hq.page.locator(sel.approvalRow, { hasText: NAME });
  await row.waitFor();
  const rowText = await row.innerText();
  assert.match(rowText, /139\*\*\*\*5678/);
  assert.match(rowText, /短信自助注册/);
  assert.match(rowText, /张三丰/);
  await screenshot(hq.page, 'hq-approvals-1440x900');
  await row.locator(sel.approve).click();
  await hq.page.locator(sel.approvalNotice).waitFor();
  const notice = await hq.page.locator(sel.approvalNotice).innerText();
  assert.match(notice, new RegExp(`已通过 ${NAME}`));
  assert.match(notice, /推荐人获得 100 积分/);
  await hq.page.locator(sel.approvalEmpty).waitFor();
  await hq.context.close();

  // The counter: the cashier types the last four digits and finds the new member.
  const pos = await newPage(shared.browser, baseUrl, 'tablet');
  await staffLogin(pos.page, 'cashier', 'demo1234');
  await pos.page.locator(sel.posShell).waitFor();
  await pos.page.locator(sel.syncLast).waitFor();
  await pos.page.fill(sel.memberSearch, '5678');
  await pos.page.press(sel.memberSearch, 'Enter');
  await pos.page.locator(sel.posMemberName, { hasText: NAME }).waitFor();
  assert.match(await pos.page.locator(sel.posMemberCurrent).innerText(), /139\*\*\*\*5678/);
  await screenshot(pos.page, 'pos-member-lookup-1024x768');
  await pos.context.close();

  // Approved, the member logs in on the phone.
  await memberLogin(phone.page, PHONE, PASSWORD);
  await phone.page.locator(sel.memberPoints).waitFor();
  assert.match(await phone.page.locator(sel.mShell).innerText(), new RegExp(NAME));
  await phone.context.close();
});
