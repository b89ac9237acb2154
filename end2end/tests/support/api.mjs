// Calls to the server's API for what a test sets up or checks behind the screens.
import { staffToken } from './pages.mjs';

export async function apiAs(baseUrl, username, password = 'demo1234') {
  const token = await staffToken(baseUrl, username, password);
  const call = async (method, path, body) => {
    const response = await fetch(`${baseUrl}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const json = text ? JSON.parse(text) : null;
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return json;
  };
  return {
    get: (path) => call('GET', path),
    post: (path, body) => call('POST', path, body),
    put: (path, body) => call('PUT', path, body),
  };
}

// A UUIDv7, as the till makes them.
export function uuid7() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let ms = BigInt(Date.now());
  for (let i = 5; i >= 0; i -= 1) {
    bytes[i] = Number(ms & 0xffn);
    ms >>= 8n;
  }
  bytes[6] = (bytes[6] & 0x0f) | 0x70;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// The demo member 张三丰 with stored value, points and a card PIN, for the counter tests.
export async function memberWithValue(baseUrl, { phone = '13800138000', topupFen, points, pin }) {
  const admin = await apiAs(baseUrl, 'admin');
  const cashier = await apiAs(baseUrl, 'cashier');
  const me = await cashier.get('/auth/me');
  const found = await cashier.get(`/members?q=${phone}`);
  const member = found.members[0];
  if (topupFen) {
    await cashier.post('/topups', {
      id: uuid7(), member_id: member.id, store_id: me.store.id, amount_fen: topupFen, tender: 'cash',
    });
  }
  if (points) {
    await admin.post('/points/adjustments', {
      id: uuid7(), member_id: member.id, store_id: me.store.id, kind: 'adjust', points, reason: '测试',
    });
  }
  if (pin) {
    await admin.put(`/members/${member.id}/pin`, { new_pin: pin });
  }
  return { member, storeId: me.store.id, admin, cashier };
}

export async function balances(api, memberId) {
  const page = await api.get(`/members/${memberId}/ledger`);
  return page.balances;
}
