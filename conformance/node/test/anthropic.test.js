// @anthropic-ai/sdk against the mock: the default mock (no preset) and --preset anthropic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { url, reply, key, stats, since, rejection } from './mocks.js';

function client(mock, apiKey, opts = {}) {
  return new Anthropic({ baseURL: url(mock), apiKey, ...opts });
}

const hello = (maxTokens) => ({
  model: 'claude-haiku-4-5',
  max_tokens: maxTokens,
  messages: [{ role: 'user', content: 'hello there' }],
});

for (const mock of ['default', 'anthropic']) {
  test(`${mock}: messages.create gives the typed message, its usage and request id`, async () => {
    const { data: msg, response, request_id } = await client(mock, key('a')).messages.create(hello(16)).withResponse();
    assert.match(msg.id, /^msg_01/);
    assert.equal(msg.type, 'message');
    assert.equal(msg.role, 'assistant');
    assert.equal(msg.model, 'claude-haiku-4-5');
    assert.equal(msg.stop_reason, 'max_tokens');
    assert.equal(msg.content.length, 1);
    assert.equal(msg.content[0].type, 'text');
    assert.equal(msg.content[0].text, reply(16));
    assert.equal(msg.usage.input_tokens, 3);
    assert.equal(msg.usage.output_tokens, 16);
    assert.equal(msg.usage.cache_creation_input_tokens, 0);
    assert.equal(msg.usage.cache_read_input_tokens, 0);
    assert.match(response.headers.get('request-id'), /^req_01/);
    assert.equal(request_id, response.headers.get('request-id'));
    assert.equal(msg._request_id, request_id);
    assert.ok(response.headers.get('anthropic-ratelimit-requests-remaining'), 'rate-limit headers on a 200');
  });
}

test('anthropic: prompt caching fills usage.cache_creation_input_tokens, then cache_read_input_tokens', async () => {
  const c = client('anthropic', key('c'));
  const doc = 'shared prefix of a long document '.repeat(200); // 6,600 bytes: 1,650 tokens
  const params = {
    model: 'claude-sonnet-4-5',
    max_tokens: 16,
    system: [{ type: 'text', text: doc, cache_control: { type: 'ephemeral', ttl: '1h' } }],
    messages: [{ role: 'user', content: 'Summarise.' }],
  };
  const m1 = await c.messages.create(params);
  assert.equal(m1.usage.cache_creation_input_tokens, 1650);
  assert.equal(m1.usage.cache_read_input_tokens, 0);
  assert.equal(m1.usage.input_tokens, 3);
  assert.deepEqual(m1.usage.cache_creation, { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 1650 });
  const m2 = await c.messages.create(params);
  assert.equal(m2.usage.cache_creation_input_tokens, 0);
  assert.equal(m2.usage.cache_read_input_tokens, 1650);
  assert.deepEqual(m2.usage.cache_creation, { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 });
  // Streamed, the cache fields come in message_start and stay in the final message.
  const s = c.messages.stream(params);
  const final = await s.finalMessage();
  assert.equal(final.usage.cache_read_input_tokens, 1650);
  assert.equal(final.usage.cache_creation_input_tokens, 0);
  assert.equal(final.usage.input_tokens, 3);
  assert.equal(final.usage.output_tokens, 16);
});

for (const mock of ['stream', 'anthropic']) {
  test(`${mock}: messages.stream gives the event sequence, and finalMessage() the text and usage generated`, async () => {
    const apiKey = key('s');
    const s = client(mock, apiKey).messages.stream(hello(40));
    const types = [];
    let text = '';
    s.on('streamEvent', (ev) => types.push(ev.type));
    s.on('text', (delta) => (text += delta));
    const final = await s.finalMessage();
    const deltas = types.filter((t) => t === 'content_block_delta').length;
    assert.deepEqual(
      types.filter((t) => t !== 'content_block_delta'),
      ['message_start', 'content_block_start', 'content_block_stop', 'message_delta', 'message_stop'],
    );
    assert.equal(types[0], 'message_start');
    assert.equal(types.at(-1), 'message_stop');
    assert.ok(deltas >= 1, `${deltas} content_block_delta events`);
    assert.match(final.id, /^msg_01/);
    assert.equal(final.content[0].text, reply(40));
    assert.equal(text, reply(40));
    assert.equal(final.stop_reason, 'max_tokens');
    assert.equal(final.usage.input_tokens, 3);
    assert.equal(final.usage.output_tokens, 40);
    assert.match(s.request_id ?? '', /^req_01/);
    const st = await stats(mock, apiKey);
    assert.equal(st.dimensions.output_tokens.units, 40, 'the mock charged the 40 tokens it streamed');
  });
}

test('stream: messages.create({stream: true}) yields the raw events, ping filtered by the SDK', async () => {
  const events = [];
  const stream = await client('stream', key('r')).messages.create({ ...hello(12), stream: true });
  for await (const ev of stream) events.push(ev);
  assert.equal(events[0].type, 'message_start');
  assert.equal(events[0].message.usage.input_tokens, 3);
  assert.equal(events[0].message.content.length, 0);
  assert.equal(events[1].type, 'content_block_start');
  assert.deepEqual(events[1].content_block, { type: 'text', text: '' });
  const text = events.filter((e) => e.type === 'content_block_delta').map((e) => e.delta.text).join('');
  assert.equal(text, reply(12));
  const md = events.find((e) => e.type === 'message_delta');
  assert.equal(md.delta.stop_reason, 'max_tokens');
  assert.equal(md.usage.output_tokens, 12);
  assert.equal(events.at(-1).type, 'message_stop');
  assert.ok(!events.some((e) => e.type === 'ping'));
});

test('anthropic-1r2s: a 429 is a RateLimitError; the SDK waits the retry-after and retries', async () => {
  const apiKey = key('l');
  const c = client('anthropic-1r2s', apiKey);
  await c.messages.create(hello(8));
  const err = await rejection(c.messages.create(hello(8), { maxRetries: 0 }));
  assert.ok(err instanceof Anthropic.RateLimitError, `got ${err}`);
  assert.equal(err.status, 429);
  assert.equal(err.error.type, 'error');
  assert.equal(err.error.error.type, 'rate_limit_error');
  assert.match(err.requestID, /^req_01/);
  assert.equal(err.error.request_id, err.requestID);
  assert.equal(err.headers.get('x-should-retry'), 'true');
  const retryAfter = Number(err.headers.get('retry-after'));
  assert.ok(retryAfter >= 1, `retry-after ${err.headers.get('retry-after')}`);
  assert.equal(err.headers.get('anthropic-ratelimit-requests-remaining'), '0');

  // The SDK's own backoff would wait 0.375–0.5 s; it waits the mock's retry-after instead.
  const start = performance.now();
  await c.messages.create(hello(8));
  const waited = since(start);
  assert.ok(waited >= 0.9 * 1000 * retryAfter, `retried after ${waited} ms, retry-after ${retryAfter} s`);
  const st = await stats('anthropic-1r2s', apiKey);
  assert.equal(st.status['429'], 2, 'one refusal with maxRetries 0, one the SDK retried');
  assert.equal(st.status['200'], 2);
});

test('stream-error: a mid-stream overloaded_error is the SDK\'s APIError, not retried', async () => {
  const apiKey = key('o');
  const s = client('stream-error', apiKey).messages.stream(hello(20));
  let text = '';
  s.on('text', (d) => (text += d));
  const err = await rejection(s.finalMessage());
  assert.ok(err instanceof Anthropic.APIError, `got ${err}`);
  assert.equal(err.status, undefined, 'after the 200: no status of its own');
  assert.equal(err.type, 'overloaded_error');
  assert.equal(err.error.error.type, 'overloaded_error');
  assert.match(err.requestID ?? '', /^req_01/);
  assert.ok(text.length > 0 && text.length < 4 * 20, `${text.length} bytes before the error`);
  assert.equal(text, reply(20).slice(0, text.length));
  const st = await stats('stream-error', apiKey);
  assert.equal(st.requests, 1, 'the SDK does not retry an error after the 200');
  assert.equal(st.dimensions.output_tokens.units, text.length / 4, 'charged what was generated');
});

test('anthropic: the SDK sends anthropic-version; without it the preset answers 400, not retried', async () => {
  const apiKey = key('v');
  await client('anthropic', apiKey).messages.create(hello(4));
  const bare = client('anthropic', apiKey, { defaultHeaders: { 'anthropic-version': null } });
  const err = await rejection(bare.messages.create(hello(4)));
  assert.ok(err instanceof Anthropic.BadRequestError, `got ${err}`);
  assert.equal(err.error.error.type, 'invalid_request_error');
  assert.equal(err.error.error.message, 'anthropic-version: header is required');
  assert.equal(err.headers.get('x-should-retry'), 'false');
  assert.match(err.requestID ?? '', /^req_01/);
});

test('default: messages.countTokens counts what messages.create reports as input', async () => {
  const c = client('default', key('t'));
  const { model, max_tokens, ...rest } = hello(8); // eslint-disable-line no-unused-vars
  const count = await c.messages.countTokens({ model, ...rest });
  const msg = await c.messages.create(hello(8));
  assert.equal(count.input_tokens, msg.usage.input_tokens);
});

test('overloaded: a 529 is an OverloadedError, retried twice (x-should-retry: true)', async () => {
  const apiKey = key('u');
  const c = client('overloaded', apiKey, { maxRetries: 0 });
  const err = await rejection(c.messages.create(hello(4)));
  assert.ok(err instanceof Anthropic.OverloadedError, `got ${err}`);
  assert.equal(err.status, 529);
  assert.equal(err.error.error.type, 'overloaded_error');
  assert.equal(err.headers.get('x-should-retry'), 'true');
  assert.match(err.requestID ?? '', /^req_01/);
  const before = await (await fetch(`${url('overloaded')}/_ratelab/stats`)).json();
  const again = await rejection(client('overloaded', apiKey).messages.create(hello(4)));
  assert.ok(again instanceof Anthropic.OverloadedError, `got ${again}`);
  const after = await (await fetch(`${url('overloaded')}/_ratelab/stats`)).json();
  assert.equal(after.requests - before.requests, 3, 'the first attempt and two retries');
});

test('anthropic-spend: the spend cap is a RateLimitError without retry-after, which the SDK still retries', async () => {
  const apiKey = key('p');
  const c = client('anthropic-spend', apiKey);
  await c.messages.create(hello(4));
  const err = await rejection(c.messages.create(hello(4)));
  assert.ok(err instanceof Anthropic.RateLimitError, `got ${err}`);
  assert.equal(err.error.error.type, 'rate_limit_error');
  assert.equal(err.error.error.details.error_code, 'enforced_spend_limit_reached');
  assert.match(err.error.error.message, /You have reached your API usage limits/);
  assert.equal(err.headers.get('retry-after'), null);
  assert.equal(err.headers.get('x-should-retry'), 'true');
  const st = await stats('anthropic-spend', apiKey);
  assert.equal(st.status['429'], 3, 'the SDK reads no body: three attempts at a terminal refusal');
});

test('anthropic: API version 2026-10-21 (the SDK default) refuses temperature; 2023-06-01 takes it', async () => {
  const apiKey = key('t');
  const err = await rejection(client('anthropic', apiKey).messages.create({ ...hello(4), temperature: 0.2 }));
  assert.ok(err instanceof Anthropic.BadRequestError, `got ${err}`);
  assert.equal(err.error.error.message, 'temperature: Extra inputs are not permitted');
  const old = client('anthropic', apiKey, { defaultHeaders: { 'anthropic-version': '2023-06-01' } });
  const msg = await old.messages.create({ ...hello(4), temperature: 0.2 });
  assert.equal(msg.usage.output_tokens, 4);
});
