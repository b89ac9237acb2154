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
  lookupRow: '[data-testid="member-lookup-row"]',
  posMemberCurrent: '[data-testid="pos-member-current"]',
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
