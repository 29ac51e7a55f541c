// @google/genai against --preset gemini (the Gemini Developer API's endpoints).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoogleGenAI, ApiError } from '@google/genai';
import { url, reply, key, stats, rejection } from './mocks.js';

function client(mock, apiKey, httpOptions = {}) {
  return new GoogleGenAI({ apiKey, httpOptions: { baseUrl: url(mock), ...httpOptions } });
}

const params = (maxOutputTokens) => ({
  model: 'gemini-2.5-flash',
  contents: 'hello there',
  config: { maxOutputTokens },
});

test('gemini: generateContent gives the text and usageMetadata, after the generation time', async () => {
  const start = performance.now();
  const r = await client('gemini', key('g')).models.generateContent(params(16));
  // The mock named gemini generates at 400 tokens/s after 50 ms: 16 tokens take 87.5 ms.
  assert.ok(performance.now() - start >= 87, `answered after ${performance.now() - start} ms`);
  assert.equal(r.text, reply(16));
  assert.equal(r.candidates.length, 1);
  assert.equal(r.candidates[0].content.role, 'model');
  assert.equal(r.candidates[0].finishReason, 'MAX_TOKENS');
  assert.equal(r.usageMetadata.promptTokenCount, 3);
  assert.equal(r.usageMetadata.candidatesTokenCount, 16);
  assert.equal(r.usageMetadata.totalTokenCount, 19);
  assert.equal(r.modelVersion, 'gemini-2.5-flash');
  assert.ok(r.responseId, 'responseId');
});

test('gemini: generateContentStream gives the text in chunks, usageMetadata at the end', async () => {
  const apiKey = key('s');
  const chunks = [];
  for await (const ch of await client('gemini', apiKey).models.generateContentStream(params(24))) chunks.push(ch);
  assert.ok(chunks.length >= 2, `${chunks.length} chunks`);
  assert.equal(chunks.map((c) => c.text ?? '').join(''), reply(24));
  const last = chunks.at(-1);
  assert.equal(last.candidates[0].finishReason, 'MAX_TOKENS');
  assert.equal(last.usageMetadata.promptTokenCount, 3);
  assert.equal(last.usageMetadata.candidatesTokenCount, 24);
  assert.equal(last.usageMetadata.totalTokenCount, 27);
  const st = await stats('gemini', apiKey);
  assert.equal(st.requests, 1);
});

test('gemini-1rpm: a 429 is an ApiError whose message holds RESOURCE_EXHAUSTED, RetryInfo and QuotaFailure; not retried by default', async () => {
  const apiKey = key('l');
  const c = client('gemini-1rpm', apiKey);
  await c.models.generateContent(params(4));
  const err = await rejection(c.models.generateContent(params(4)));
  assert.ok(err instanceof ApiError, `got ${err}`);
  assert.equal(err.status, 429);
  const body = JSON.parse(err.message); // the SDK puts the whole JSON body in the message
  assert.equal(body.error.code, 429);
  assert.equal(body.error.status, 'RESOURCE_EXHAUSTED');
  assert.match(body.error.message, /quota/i);
  const byType = Object.fromEntries(body.error.details.map((d) => [d['@type'], d]));
  const retry = byType['type.googleapis.com/google.rpc.RetryInfo'];
  assert.ok(retry, 'RetryInfo');
  const secs = Number(/^(\d+(?:\.\d+)?)s$/.exec(retry.retryDelay)?.[1]);
  assert.ok(secs > 0 && secs <= 60, `retryDelay ${retry.retryDelay}: the rest of the minute`);
  const quota = byType['type.googleapis.com/google.rpc.QuotaFailure'];
  assert.ok(quota, 'QuotaFailure');
  assert.equal(quota.violations[0].quotaId, 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier');
  assert.match(quota.violations[0].quotaMetric, /generate_content_free_tier_requests/);
  const st = await stats('gemini-1rpm', apiKey);
  assert.equal(st.status['429'], 1, 'the SDK retries only with httpOptions.retryOptions');
});

test('gemini-1rpm: with retryOptions the SDK retries a 429 on its own schedule, not the retryDelay', async () => {
  const apiKey = key('r');
  const c = client('gemini-1rpm', apiKey, { retryOptions: { attempts: 3, initialDelay: 0.05, maxDelay: 0.1 } });
  await c.models.generateContent(params(4));
  const start = performance.now();
  const err = await rejection(c.models.generateContent(params(4)));
  assert.ok(err instanceof ApiError && err.status === 429, `got ${err}`);
  assert.ok(performance.now() - start < 5000, 'it did not wait the retryDelay');
  const st = await stats('gemini-1rpm', apiKey);
  assert.equal(st.status['429'], 3, 'three attempts, all refused');
});

test('gemini: countTokens counts what generateContent reports as the prompt', async () => {
  const c = client('gemini', key('c'));
  const count = await c.models.countTokens({ model: 'gemini-2.5-flash', contents: 'hello there' });
  const r = await c.models.generateContent(params(4));
  assert.equal(count.totalTokens, r.usageMetadata.promptTokenCount);
});
