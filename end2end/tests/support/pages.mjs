// Selectors and actions of the three faces, kept apart from the checks in the tests.
export const sel = {
  username: '[data-testid="login-username"]',
  password: '[data-testid="login-password"]',
  remember: '[data-testid="login-remember"]',
  submit: '[data-testid="login-submit"]',
  loginError: '[data-testid="login-error"]',
  langSwitch: '[data-testid="lang-switch"]',
  posShell: '[data-testid="pos-shell"]',
  hqShell: '[data-testid="hq-shell"]',
  mShell: '[data-testid="m-shell"]',
  forbidden: '[data-testid="forbidden"]',
  staffName: '[data-testid="staff-name"]',
  logout: '[data-testid="logout"]',
  netStatus: '[data-testid="net-status"]',
  staffTable: '[data-testid="staff-table"]',
  auditTable: '[data-testid="audit-table"]',
  memberPhone: '[data-testid="m-login-phone"]',
  memberPassword: '[data-testid="m-login-password"]',
  memberSubmit: '[data-testid="m-login-submit"]',
  memberError: '[data-testid="m-login-error"]',
  memberPoints: '[data-testid="member-points"]',
  memberBalance: '[data-testid="member-balance"]',
  memberLogout: '[data-testid="m-logout"]',
  registerLink: '[data-testid="m-register-link"]',
  registerPhone: '[data-testid="m-register-phone"]',
  registerGetCode: '[data-testid="m-register-get-code"]',
  registerCodeSent: '[data-testid="m-register-code-sent"]',
  registerCode: '[data-testid="m-register-code"]',
  registerName: '[data-testid="m-register-name"]',
  registerPassword: '[data-testid="m-register-password"]',
  registerReferral: '[data-testid="m-register-referral"]',
  registerSubmit: '[data-testid="m-register-submit"]',
  registerPending: '[data-testid="m-register-pending"]',
  approvalTable: '[data-testid="approval-table"]',
  approvalRow: '[data-testid="approval-row"]',
  approve: '[data-testid="approve"]',
  approvalNotice: '[data-testid="approval-notice"]',
  approvalEmpty: '[data-testid="approval-empty"]',
  navApprovals: '[data-testid="nav-approvals"]',
  memberSearch: '[data-testid="member-search"]',
  posMemberCurrent: '[data-testid="pos-member-current"]',
  posMemberName: '[data-testid="pos-member-name"]',
  posMemberValue: '[data-testid="pos-member-value"]',
  posMemberPoints: '[data-testid="pos-member-points"]',
  posNotice: '[data-testid="pos-notice"]',
  firstSync: '[data-testid="first-sync"]',
  syncLast: '[data-testid="sync-last"]',
  itemSearch: '[data-testid="item-search"]',
  cartLine: '[data-testid="cart-line"]',
  amountDue: '[data-testid="amount-due"]',
  checkout: '[data-testid="pos-checkout"]',
  payDialog: '[data-testid="payment-dialog"]',
  payCash: '[data-testid="pay-cash"]',
  payStoredValue: '[data-testid="pay-stored_value"]',
  payFillStoredValue: '[data-testid="pay-fill-stored_value"]',
  payFillCash: '[data-testid="pay-fill-cash"]',
  payPoints: '[data-testid="pay-points"]',
  payPin: '[data-testid="pay-pin"]',
  payConfirm: '[data-testid="pay-confirm"]',
  payCancel: '[data-testid="pay-cancel"]',
  payError: '[data-testid="pay-error"]',
  payChange: '[data-testid="pay-change"]',
  receipt: '[data-testid="receipt"]',
  receiptNo: '[data-testid="receipt-no"]',
  receiptOffline: '[data-testid="receipt-offline"]',
  receiptDone: '[data-testid="receipt-done"]',
  receiptPoints: '[data-testid="receipt-points"]',
  navOffline: '[data-testid="nav-offline"]',
  overdraftRow: '[data-testid="overdraft-row"]',
};

// Types a code the way a keyboard-wedge scanner does: fast, ending with Enter, with no
// box focused.
export async function scan(page, code) {
  await page.evaluate(() => document.activeElement?.blur());
  await page.keyboard.type(code, { delay: 5 });
  await page.keyboard.press('Enter');
}

// The counter open and its cache filled.
export async function openCounter(page) {
  await page.locator(sel.posShell).waitFor();
  await page.locator(sel.syncLast).waitFor({ timeout: 30_000 });
}

// Picks a member at the counter by what the cashier types.
export async function chooseMember(page, term, name) {
  await page.fill(sel.memberSearch, term);
  await page.press(sel.memberSearch, 'Enter');
  await page.locator(sel.posMemberName, { hasText: name }).waitFor();
}

// Pays the cart: `payments` maps a method to an amount in 元, 'rest' filling what is left.
export async function pay(page, { cash, storedValue, points, pin }) {
  await page.click(sel.checkout);
  await page.locator(sel.payDialog).waitFor();
  if (points) await page.fill(sel.payPoints, String(points));
  if (storedValue === 'rest') await page.click(sel.payFillStoredValue);
  else if (storedValue) await page.fill(sel.payStoredValue, String(storedValue));
  if (cash === 'rest') await page.click(sel.payFillCash);
  else if (cash) await page.fill(sel.payCash, String(cash));
  if (pin) await page.fill(sel.payPin, pin);
  await page.click(sel.payConfirm);
}

// The unsent count the sync chip shows.
export async function unsent(page) {
  return Number(await page.locator(sel.netStatus).getAttribute('data-unsent'));
}

export async function staffLogin(page, username, password, next) {
  await page.goto(next ? `/login?next=${encodeURIComponent(next)}` : '/login');
  await page.fill(sel.username, username);
  await page.fill(sel.password, password);
  await page.click(sel.submit);
}

export async function memberLogin(page, phone, password) {
  await page.goto('/m');
  await page.fill(sel.memberPhone, phone);
  await page.fill(sel.memberPassword, password);
  await page.click(sel.memberSubmit);
}

// The code the development SMS provider wrote to the server's log for `phone`.
export async function registerCodeSentTo(server, phone) {
  // The log shows the number masked, as 138****8000.
  const masked = `${phone.slice(0, 3)}\\*{4}${phone.slice(7)}`;
  const line = new RegExp(`to="?${masked}"?\\s+kind="?register_code"?\\s+body="?\\D*(\\d{6})`);
  const match = await server.waitForLog(line);
  return match[1];
}

// A staff member's bearer token, for reading what a test needs through the API.
export async function staffToken(baseUrl, username, password) {
  const response = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (!response.ok) throw new Error(`login as ${username}: ${response.status}`);
  return (await response.json()).token;
}

// The demo shelf's EAN-13 barcode from its first twelve digits.
export function ean13(first12) {
  const sum = [...first12].reduce((acc, d, i) => acc + Number(d) * (i % 2 === 0 ? 1 : 3), 0);
  return `${first12}${(10 - (sum % 10)) % 10}`;
}
