// openai (and its AzureOpenAI client) against the mock: the default mock, --preset openai and
// --preset azure-openai.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI, { AzureOpenAI } from 'openai';
import { url, reply, key, stats, since, rejection } from './mocks.js';

function client(mock, apiKey, opts = {}) {
  return new OpenAI({ baseURL: `${url(mock)}/v1`, apiKey, ...opts });
}

const chat = (maxTokens) => ({
  model: 'gpt-4o-mini',
  max_tokens: maxTokens,
  messages: [{ role: 'user', content: 'hello there' }],
});

for (const mock of ['default', 'openai']) {
  test(`${mock}: chat.completions.create gives the typed completion, its usage and request id`, async () => {
    const { data: c, response, request_id } = await client(mock, key('o')).chat.completions.create(chat(8)).withResponse();
    assert.match(c.id, /^chatcmpl-/);
    assert.equal(c.object, 'chat.completion');
    assert.equal(c.model, 'gpt-4o-mini');
    assert.equal(c.choices.length, 1);
    assert.equal(c.choices[0].message.role, 'assistant');
    assert.equal(c.choices[0].message.content, reply(8));
    assert.equal(c.choices[0].finish_reason, 'length');
    assert.equal(c.usage.prompt_tokens, 3);
    assert.equal(c.usage.completion_tokens, 8);
    assert.equal(c.usage.total_tokens, 11);
    assert.ok(request_id, 'x-request-id');
    assert.equal(request_id, response.headers.get('x-request-id'));
    assert.equal(c._request_id, request_id);
    assert.ok(response.headers.get('x-ratelimit-remaining-requests'), 'rate-limit headers on a 200');
  });
}

for (const mock of ['stream', 'openai']) {
  test(`${mock}: a stream with include_usage ends with a usage chunk; the stream helper's final completion agrees`, async () => {
    const apiKey = key('s');
    const c = client(mock, apiKey);
    const chunks = [];
    const stream = await c.chat.completions.create({ ...chat(20), stream: true, stream_options: { include_usage: true } });
    for await (const ch of stream) chunks.push(ch);
    assert.ok(chunks.length >= 3, `${chunks.length} chunks`);
    for (const ch of chunks) {
      assert.equal(ch.object, 'chat.completion.chunk');
      assert.equal(ch.id, chunks[0].id, 'one id for the stream');
    }
    assert.equal(chunks[0].choices[0].delta.role, 'assistant');
    const text = chunks.flatMap((ch) => ch.choices.map((x) => x.delta.content ?? '')).join('');
    assert.equal(text, reply(20));
    const finish = chunks.flatMap((ch) => ch.choices.map((x) => x.finish_reason)).filter(Boolean);
    assert.deepEqual(finish, ['length']);
    const last = chunks.at(-1);
    assert.deepEqual(last.choices, [], 'the usage chunk has no choices');
    assert.equal(last.usage.prompt_tokens, 3);
    assert.equal(last.usage.completion_tokens, 20);
    assert.equal(last.usage.total_tokens, 23);
    for (const ch of chunks.slice(0, -1)) assert.equal(ch.usage, null, 'usage null before the last chunk');

    const s = c.chat.completions.stream({ ...chat(12), stream_options: { include_usage: true } });
    const final = await s.finalChatCompletion();
    assert.equal(final.choices[0].message.content, reply(12));
    assert.equal(final.choices[0].finish_reason, 'length');
    assert.equal(final.usage.completion_tokens, 12);
    const st = await stats(mock, apiKey);
    assert.equal(st.requests, 2);
  });
}

test('stream-error: a mid-stream server_error is the SDK\'s APIError, not retried', async () => {
  const apiKey = key('e');
  const stream = await client('stream-error', apiKey).chat.completions.create({ ...chat(20), stream: true });
  const err = await rejection(
    (async () => {
      for await (const _ of stream); // eslint-disable-line no-unused-vars
    })(),
  );
  assert.ok(err instanceof OpenAI.APIError, `got ${err}`);
  assert.equal(err.status, undefined, 'after the 200: no status of its own');
  assert.equal(err.type, 'server_error');
  const st = await stats('stream-error', apiKey);
  assert.equal(st.requests, 1, 'the SDK does not retry an error after the 200');
});

test('openai-1r2s: a 429 is a RateLimitError with x-ratelimit-* headers and "try again in"; the SDK retries it without a hint', async () => {
  const apiKey = key('l');
  const c = client('openai-1r2s', apiKey);
  await c.chat.completions.create(chat(4));
  const err = await rejection(c.chat.completions.create(chat(4), { maxRetries: 0 }));
  assert.ok(err instanceof OpenAI.RateLimitError, `got ${err}`);
  assert.equal(err.status, 429);
  assert.equal(err.code, 'rate_limit_exceeded');
  assert.equal(err.type, 'requests');
  assert.match(err.message, /Rate limit reached for gpt-4o-mini .* on requests per min \(RPM\): Limit \d+, Used \d+, Requested 1\. Please try again in \d+(\.\d+)?m?s\./);
  assert.ok(err.requestID, 'x-request-id');
  for (const h of ['limit-requests', 'remaining-requests', 'reset-requests', 'limit-tokens', 'remaining-tokens', 'reset-tokens']) {
    assert.ok(err.headers.get(`x-ratelimit-${h}`), `x-ratelimit-${h}`);
  }
  assert.equal(err.headers.get('x-ratelimit-remaining-requests'), '0');
  assert.equal(err.headers.get('x-should-retry'), null, 'OpenAI sends no x-should-retry');
  assert.equal(err.headers.get('retry-after'), null, 'nor a retry-after: the SDK backs off on its own');

  // No hint: the SDK backs off on its own (0.375-0.5 s, then 0.75-1 s), and as OpenAI counts
  // refused requests against the limit, each retry deepens the debt: all three are refused.
  const start = performance.now();
  const again = await rejection(c.chat.completions.create(chat(4)));
  const waited = since(start);
  assert.ok(again instanceof OpenAI.RateLimitError, `got ${again}`);
  assert.ok(waited >= 1125, `gave up after ${waited} ms: two retries of 0.375 s and 0.75 s at least`);
  const st = await stats('openai-1r2s', apiKey);
  assert.equal(st.status['200'], 1);
  assert.equal(st.status['429'], 4, 'one refusal with maxRetries 0, then one request and its two retries');
});

test('openai-quota: insufficient_quota is a RateLimitError that the SDK retries (the API says nothing against it)', async () => {
  const apiKey = key('q');
  const c = client('openai-quota', apiKey);
  await c.chat.completions.create(chat(4));
  const err = await rejection(c.chat.completions.create(chat(4)));
  assert.ok(err instanceof OpenAI.RateLimitError, `got ${err}`);
  assert.equal(err.status, 429);
  assert.equal(err.code, 'insufficient_quota');
  assert.equal(err.type, 'insufficient_quota');
  assert.match(err.message, /You exceeded your current quota/);
  assert.equal(err.headers.get('x-should-retry'), null);
  const st = await stats('openai-quota', apiKey);
  assert.equal(st.status['429'], 3, 'the first refusal and the SDK\'s two retries: it reads no body');
});

test('azure-1r2s: AzureOpenAI with a deployment and api-key; its 429 carries retry-after-ms, which the SDK waits', async () => {
  const apiKey = key('z');
  const az = new AzureOpenAI({ endpoint: url('azure-1r2s'), apiKey, apiVersion: '2024-10-21', deployment: 'my-gpt-4o-mini' });
  const { data: c, response } = await az.chat.completions.create({ ...chat(8), model: 'my-gpt-4o-mini' }).withResponse();
  assert.equal(new URL(response.url).pathname, '/openai/deployments/my-gpt-4o-mini/chat/completions');
  assert.equal(new URL(response.url).searchParams.get('api-version'), '2024-10-21');
  assert.equal(c.model, 'my-gpt-4o-mini');
  assert.equal(c.choices[0].message.content, reply(8));
  assert.equal(c.usage.completion_tokens, 8);

  const err = await rejection(az.chat.completions.create({ ...chat(8), model: 'my-gpt-4o-mini' }, { maxRetries: 0 }));
  assert.ok(err instanceof OpenAI.RateLimitError, `got ${err}`);
  assert.equal(err.status, 429);
  assert.equal(err.code, '429');
  assert.match(err.message, /exceeded call rate limit/);
  const ms = Number(err.headers.get('retry-after-ms'));
  assert.ok(ms > 0, `retry-after-ms ${err.headers.get('retry-after-ms')}`);
  assert.ok(Number(err.headers.get('retry-after')) >= ms / 1000, 'retry-after in whole seconds, rounded up');

  const start = performance.now();
  await az.chat.completions.create({ ...chat(8), model: 'my-gpt-4o-mini' });
  const waited = since(start);
  assert.ok(waited >= 0.9 * ms, `retried after ${waited} ms, retry-after-ms ${ms}`);
  const st = await stats('azure-1r2s', apiKey);
  assert.equal(st.status['429'], 2, 'one refusal with maxRetries 0, one the SDK retried after retry-after-ms');
  assert.equal(st.status['200'], 2);
});

test('azure: an AzureOpenAI stream with include_usage on the deployment path', async () => {
  const apiKey = key('y');
  const az = new AzureOpenAI({ endpoint: url('azure'), apiKey, apiVersion: '2024-10-21', deployment: 'my-gpt-4o' });
  const chunks = [];
  const stream = await az.chat.completions.create({ ...chat(16), model: 'my-gpt-4o', stream: true, stream_options: { include_usage: true } });
  for await (const ch of stream) chunks.push(ch);
  assert.equal(chunks.flatMap((ch) => ch.choices.map((x) => x.delta.content ?? '')).join(''), reply(16));
  assert.equal(chunks.at(-1).usage.completion_tokens, 16);
  assert.equal(chunks[0].model, 'my-gpt-4o');
  const st = await stats('azure', apiKey);
  assert.equal(st.requests, 1);
});
