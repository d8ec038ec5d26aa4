// Only transient failures are retried (network errors, 408, 429, 5xx): a refusal (403, 404, 412) fails at once,
// so a wrong credential or a lost lock race is reported, not hammered six times.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isTransient, withRetry } from '../src/repo/retry.js';

const FAST = { attempts: 6, baseDelayMs: 1, maxDelayMs: 2 };

async function attemptsFor(error: unknown): Promise<number> {
  let calls = 0;
  await withRetry(async () => {
    calls++;
    throw error;
  }, FAST).catch(() => undefined);
  return calls;
}

test('refusals fail at once; transient failures are retried up to the limit', async () => {
  for (const status of [400, 401, 403, 404, 409, 412]) {
    assert.is(await attemptsFor({ statusCode: status }), 1, `HTTP ${status} is not retried (Azure shape)`);
    assert.is(await attemptsFor({ $metadata: { httpStatusCode: status } }), 1, `HTTP ${status} is not retried (S3 shape)`);
  }
  for (const status of [408, 429, 500, 503]) assert.is(await attemptsFor({ statusCode: status }), 6, `HTTP ${status} is retried`);
  assert.is(await attemptsFor(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })), 6);
  assert.not.ok(isTransient(new Error('AccessDenied')));
});

test('a failure that clears is retried to success', async () => {
  let calls = 0;
  const value = await withRetry(async () => {
    if (++calls < 3) throw { statusCode: 503 };
    return 'ok';
  }, FAST);
  assert.is(value, 'ok');
  assert.is(calls, 3);
});

test.run();
