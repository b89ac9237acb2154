// HQ's member pages at laptop size: a manager enters a member, finds them by the last
// four digits of the phone and by part of the name, edits a protected field on the 360°
// view, and HQ adds a questionnaire field that then shows on the profile.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { newPage, screenshot, serverAndBrowser } from './support/browser.mjs';
import { memberLogin, staffLogin } from './support/pages.mjs';

const shared = serverAndBrowser({ before, after });

test('enter, find and edit a member; add a questionnaire field', async () => {
  const { context, page } = await newPage(shared.browser, shared.server.baseUrl, 'laptop');
  await staffLogin(page, 'admin', 'demo1234');
  await page.locator('[data-testid="hq-shell"]').waitFor();

  // A questionnaire field first, so the new member's profile shows it.
  await page.goto('/hq/member-settings');
  await page.locator('[data-testid="field-table"]').waitFor();
  await page.fill('[data-testid="new-field-key"]', 'Bad Key');
  await page.fill('[data-testid="new-field-label"]', '肤质');
  await page.click('[data-testid="new-field-save"]');
  await page.waitForFunction(() => /字段代码/.test(document.body.innerText));
  await page.fill('[data-testid="new-field-key"]', 'skin_type');
  await page.selectOption('[data-testid="new-field-kind"]', 'choice');
  await page.fill('[data-testid="new-field-choices"]', '干性，油性，混合');
  await page.click('[data-testid="new-field-save"]');
  await page.locator('tr[data-field-key="skin_type"]').waitFor();
  await page.fill('[data-testid="new-class-region"]', '浦东');
  await page.press('[data-testid="new-class-region"]', 'Enter');
  await page.waitForFunction(() => /浦东/.test(document.querySelector('[data-list="region"]')?.innerText ?? ''));
  await screenshot(page, 'hq-member-settings-1440x900');

  // Enter a member; a duplicate phone is refused by name.
  await page.goto('/hq/members');
  await page.click('[data-testid="member-new"]');
  await page.fill('[data-testid="new-member-name"]', '周芷若');
  await page.fill('[data-testid="new-member-phone"]', '13800138000');
  await page.click('[data-testid="new-member-save"]');
  await page.waitForFunction(() => /该手机号已是会员/.test(document.body.innerText));
  await page.fill('[data-testid="new-member-phone"]', '13912344321');
  await page.click('[data-testid="new-member-save"]');
  await page.locator('[data-testid="member-detail"] [data-testid="member-name"]').waitFor();
  assert.match(await page.locator('[data-testid="member-name"]').innerText(), /周芷若/);

  // Find them by the phone's last four digits and by part of the name.
  await page.goto('/hq/members');
  await page.fill('[data-testid="member-search"]', '4321');
  await page.click('[data-testid="member-search-submit"]');
  await page.waitForFunction(() => /周芷若/.test(document.querySelector('[data-testid="member-results"]')?.innerText ?? ''));
  assert.match(await page.locator('[data-testid="member-results"]').innerText(), /139\*\*\*\*4321/);
  await page.fill('[data-testid="member-search"]', '芷若');
  await page.click('[data-testid="member-search-submit"]');
  await page.waitForFunction(() => /周芷若/.test(document.querySelector('[data-testid="member-results"]')?.innerText ?? ''));
  await screenshot(page, 'hq-members-1440x900');

  // The 360° view: edit a protected note and the new field.
  await page.locator('[data-testid="member-results"] tbody tr').first().click();
  await page.locator('[data-testid="profile-form"]').waitFor();
  await page.fill('[data-field="note1"]', '喜欢茉莉花茶');
  await page.selectOption('[data-field="skin_type"]', '混合');
  await page.fill('[data-field="birth_date"]', '1992-03-08');
  await page.click('[data-testid="profile-save"]');
  await page.locator('[data-testid="profile-saved"]').waitFor();
  await page.reload();
  await page.locator('[data-testid="profile-form"]').waitFor();
  assert.equal(await page.inputValue('[data-field="note1"]'), '喜欢茉莉花茶');
  assert.equal(await page.inputValue('[data-field="skin_type"]'), '混合');
  assert.match(await page.locator('[data-testid="member-balances"]').innerText(), /¥0\.00/);

  // Reclassify, and a new member number must carry a valid check digit.
  await page.selectOption('[data-class-list="region"]', { label: '浦东' });
  await page.click('[data-testid="classification-save"]');
  await page.click('[data-testid="member-number-open"]');
  await page.fill('[data-testid="member-number"]', '880000001');
  await page.press('[data-testid="member-number"]', 'Enter');
  await page.waitForFunction(() => /校验位/.test(document.body.innerText));
  await page.fill('[data-testid="member-number"]', '880000005');
  await page.press('[data-testid="member-number"]', 'Enter');
  await page.waitForFunction(() => /880000005/.test(document.body.innerText));
  await page.reload();
  await page.locator('[data-class-list="region"]').waitFor();
  assert.equal(await page.locator('[data-class-list="region"] option:checked').innerText(), '浦东');
  await screenshot(page, 'hq-member-360-1440x900');
  await context.close();
});

test('the member edits their own general fields on the phone; protected ones are not offered', async () => {
  const { context, page } = await newPage(shared.browser, shared.server.baseUrl, 'phone');
  await memberLogin(page, '13800138000', 'demo1234');
  await page.click('[data-testid="m-show-profile"]');
  await page.locator('[data-testid="m-profile"] [data-field="interests"]').waitFor();
  assert.equal(await page.locator('[data-testid="m-profile"] [data-field="note1"]').count(), 0);
  assert.equal(await page.locator('[data-testid="m-profile"] [data-field="birth_date"]').count(), 0);
  await page.fill('[data-field="interests"]', '太极拳');
  await page.click('[data-testid="m-profile-save"]');
  await page.locator('[data-testid="m-profile-saved"]').waitFor();
  await screenshot(page, 'member-profile-390x844');
  await page.click('[data-testid="m-profile-back"]');
  await page.click('[data-testid="m-show-profile"]');
  await page.locator('[data-field="interests"]').waitFor();
  assert.equal(await page.inputValue('[data-field="interests"]'), '太极拳');
  await context.close();
});
