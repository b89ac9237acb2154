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
};

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
