// Helpers shared by the conformance tests: the mocks the Go test started (RATELAB_MOCKS, a JSON
// object of name → base URL), the text the mock generates, and its per-key counters.
import assert from 'node:assert/strict';

const mocks = JSON.parse(process.env.RATELAB_MOCKS ?? '{}');
const replyText = process.env.RATELAB_REPLY_TEXT ?? '';

/** url returns the base URL of the mock named name (see mockserver/sdk_node_test.go). */
export function url(name) {
  const u = mocks[name];
  assert.ok(u, `no mock named ${name} in RATELAB_MOCKS: run this suite with go test -run TestNodeSDKs ./mockserver/`);
  return u;
}

/** reply returns the text of an n-token reply: 4n bytes of the mock's filler, repeated. */
export function reply(n) {
  assert.ok(replyText, 'RATELAB_REPLY_TEXT is not set');
  let out = '';
  while (out.length < 4 * n) out += replyText;
  return out.slice(0, 4 * n);
}

let seq = 0;
/** key returns an API key no other test uses (at most 12 characters, so stats show it whole). */
export function key(prefix) {
  seq++;
  return `fake-${prefix}${process.pid % 1000}-${seq}`.slice(0, 12);
}

/**
 * stats returns the mock's counters for an API key (requests, status, dimensions), summed over
 * the budget pools a preset keeps for it (listed as "key (pool)").
 */
export async function stats(name, apiKey) {
  const res = await fetch(`${url(name)}/_ratelab/stats`);
  assert.equal(res.status, 200);
  const doc = await res.json();
  const mine = doc.accounts.filter((x) => x.key === apiKey || x.key.startsWith(`${apiKey} (`));
  assert.ok(mine.length > 0, `no account ${apiKey} in the stats of ${name}`);
  const sum = { requests: 0, status: {}, dimensions: {} };
  for (const a of mine) {
    sum.requests += a.requests;
    for (const [k, n] of Object.entries(a.status ?? {})) sum.status[k] = (sum.status[k] ?? 0) + n;
    for (const [k, d] of Object.entries(a.dimensions ?? {})) {
      const t = (sum.dimensions[k] ??= { admitted: 0, rejected: 0, units: 0 });
      t.admitted += d.admitted;
      t.rejected += d.rejected;
      t.units += d.units;
    }
  }
  return sum;
}

/** rejection returns the error a promise is rejected with, and fails the test if it resolves. */
export async function rejection(promise) {
  return promise.then(
    (v) => assert.fail(`resolved: ${JSON.stringify(v)?.slice(0, 200)}`),
    (e) => e,
  );
}

/** since returns the milliseconds since start (a performance.now() reading). */
export function since(start) {
  return performance.now() - start;
}
