// HQ imports members from an XLSX file with bad rows: the dry run's report lists each
// bad row with its field and reason, and the row whose phone is already a member's;
// the import of the good rows runs to its summary; the export button is there.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { newPage, screenshot, serverAndBrowser } from './support/browser.mjs';
import { sel, staffLogin } from './support/pages.mjs';
import { xlsx } from './support/xlsx.mjs';

const shared = serverAndBrowser({ before, after });

const importSel = {
  nav: '[data-testid="nav-member-import"]',
  file: '[data-testid="import-file"]',
  check: '[data-testid="import-check"]',
  report: '[data-testid="import-report"]',
  errors: '[data-testid="import-errors"] tbody tr',
  existing: '[data-testid="import-existing"] tbody tr',
  toCreate: '[data-testid="import-to-create"]',
  confirm: '[data-testid="import-confirm"]',
  summary: '[data-testid="import-summary"]',
  created: '[data-testid="import-created"]',
  exportButton: '[data-testid="member-export"]',
};

const FILE = xlsx([
  ['姓名', '手机', '性别', '生日', '门店编码'],
  ['张翠山', '13911110001', '男', '1980-03-12', 'S001'],
  ['殷素素', '12345', '女', '1982-02-30', 'S999'],
  ['张无忌', '13911110001', '男', '', ''],
  ['张三丰', '13800138000', '男', '', ''],
  ['小昭', '13911110002', '女', '1990/7/7', 'S002'],
]);

test('an XLSX file with bad rows shows the row report, then imports the good rows', async () => {
  const { context, page } = await newPage(shared.browser, shared.server.baseUrl, 'laptop');
  await staffLogin(page, 'admin', 'demo1234');
  await page.locator(sel.hqShell).waitFor();
  await page.click(importSel.nav);
  await page.locator(importSel.file).waitFor({ state: 'attached' });
  assert.ok(await page.locator(importSel.exportButton).isVisible(), 'the export button is shown');

  await page.setInputFiles(importSel.file, {
    name: 'members.xlsx',
    mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    buffer: FILE,
  });
  await page.click(importSel.check);
  await page.locator(importSel.report).waitFor();

  const errors = await page.locator(importSel.errors).evaluateAll((rows) =>
    rows.map((row) => ({
      row: row.dataset.row,
      field: row.dataset.field,
      cells: [...row.cells].map((cell) => cell.innerText.trim()),
    })),
  );
  const found = errors.map((e) => `${e.row} ${e.field}`);
  assert.deepEqual(found, [
    '3 phone',
    '3 store_code',
    '3 profile.birth_date',
    '4 phone',
  ]);
  assert.deepEqual(errors[0].cells, ['3', '手机', '手机号应为11位数字，以1开头']);
  assert.deepEqual(errors[3].cells, ['4', '手机', '与第2行手机号重复']);
  const existing = await page.locator(importSel.existing).allInnerTexts();
  assert.equal(existing.length, 1);
  assert.match(existing[0], /5\s+张三丰\s+138\*\*\*\*8000/);
  assert.equal(await page.locator(importSel.toCreate).innerText(), '2');
  await screenshot(page, 'member-import-report-laptop');

  await page.click(importSel.confirm);
  await page.locator(importSel.summary).waitFor();
  assert.equal(await page.locator(importSel.created).innerText(), '2');
  assert.match(await page.locator(importSel.summary).innerText(), /导入完成/);
  await screenshot(page, 'member-import-done-laptop');

  const found2 = await page.request.get('/api/v1/members?q=0002');
  const body = await found2.json();
  assert.equal(body.members[0].name, '小昭');
  await context.close();
});
