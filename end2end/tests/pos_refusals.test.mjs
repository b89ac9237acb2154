// What the counter says when something is wrong, each time with the cart left as it
// was: an unknown barcode, an unknown card, a frozen member, not enough stored value,
// and a wrong PIN.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { newPage, screenshot, serverAndBrowser } from './support/browser.mjs';
import { sel, staffLogin, scan, openCounter, chooseMember, pay, ean13 } from './support/pages.mjs';
import { memberWithValue } from './support/api.mjs';

const shared = serverAndBrowser({ before, after });
const LONGJING = ean13('690123456701');

test('refusals at the counter name the problem and keep the cart', async () => {
  const { baseUrl } = shared.server;
  // 王菲 holds ¥20.00 and has a PIN; 欧阳娜娜 is frozen.
  const { admin } = await memberWithValue(baseUrl, { phone: '13700137000', topupFen: 2_000, pin: '135790' });
  const frozen = await memberWithValue(baseUrl, { phone: '13600136000', topupFen: 5_000 });
  await admin.post(`/members/${frozen.member.id}/freeze`, { reason: '卡片遗失' });

  const { context, page } = await newPage(shared.browser, baseUrl, 'tablet');
  await staffLogin(page, 'cashier', 'demo1234', '/pos');
  await openCounter(page);
  await scan(page, LONGJING);
  await scan(page, LONGJING);
  await page.locator(sel.cartLine).first().waitFor();
  const cart = async () => [await page.locator(sel.cartLine).count(), await page.locator(sel.amountDue).innerText()];
  const before = await cart();

  // An unknown barcode.
  await scan(page, '6999999999999');
  await page.locator(sel.posNotice, { hasText: '6999999999999' }).waitFor();
  assert.match(await page.locator(sel.posNotice).innerText(), /未知条码/);
  assert.deepEqual(await cart(), before);
  await screenshot(page, 'pos-unknown-barcode-1024x768');

  // An unknown card number typed in the member box.
  await page.fill(sel.memberSearch, '888877776666');
  await page.press(sel.memberSearch, 'Enter');
  await page.locator(sel.posNotice, { hasText: '888877776666' }).waitFor();
  assert.match(await page.locator(sel.posNotice).innerText(), /未找到会员/);
  assert.deepEqual(await cart(), before);

  // A frozen member: warned on choosing, refused when paying from stored value.
  await chooseMember(page, '6000', '欧阳娜娜');
  await page.locator('[data-testid="member-frozen"]').waitFor();
  const withMember = await cart();
  assert.equal(withMember[0], before[0]);
  await pay(page, { storedValue: 'rest' });
  await page.locator(sel.payError).waitFor();
  assert.match(await page.locator(sel.payError).innerText(), /冻结/);
  await page.click(sel.payCancel);
  assert.deepEqual(await cart(), withMember);

  // Not enough stored value: ¥20.00 held, more due.
  await chooseMember(page, '7000', '王菲');
  const due = await page.locator(sel.amountDue).innerText();
  await pay(page, { storedValue: 'rest', pin: '135790' });
  await page.locator(sel.payError).waitFor();
  assert.match(await page.locator(sel.payError).innerText(), /余额|不足/);
  await page.click(sel.payCancel);
  assert.equal(await page.locator(sel.amountDue).innerText(), due);
  assert.equal(await page.locator(sel.cartLine).count(), before[0]);

  // A wrong PIN, with ¥10.00 from stored value and the rest in cash.
  await page.click(sel.checkout);
  await page.fill(sel.payStoredValue, '10');
  await page.click(sel.payFillCash);
  await page.fill(sel.payPin, '000000');
  await page.click(sel.payConfirm);
  await page.locator(sel.payError).waitFor();
  assert.match(await page.locator(sel.payError).innerText(), /密码/);
  await screenshot(page, 'pos-wrong-pin-1024x768');
  await page.click(sel.payCancel);
  assert.equal(await page.locator(sel.amountDue).innerText(), due);
  assert.equal(await page.locator(sel.cartLine).count(), before[0]);
  await context.close();
});
