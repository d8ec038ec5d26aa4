// One retry policy for every remote repository: transient failures (network errors, 408, 429, 5xx) are
// retried with exponential backoff and jitter, a bounded number of times; anything else fails at once.
// The SDKs' own retries are turned off in the adapters so the two do not multiply.

export interface RetryPolicy {
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseDelayMs: 100, maxDelayMs: 5000 };

const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED', 'UND_ERR_SOCKET', 'REQUEST_SEND_ERROR', 'TimeoutError']);

/** Status code and error code of an SDK or network error, whatever shape it came in. */
export function errorStatus(error: unknown): { status?: number; code?: string } {
  const e = error as { statusCode?: number; $metadata?: { httpStatusCode?: number }; code?: string; name?: string; cause?: unknown };
  const status = e?.statusCode ?? e?.$metadata?.httpStatusCode;
  const code = e?.code ?? e?.name;
  return { ...(status !== undefined ? { status } : {}), ...(code !== undefined ? { code } : {}) };
}

export function isTransient(error: unknown): boolean {
  const { status, code } = errorStatus(error);
  if (status !== undefined) return status === 408 || status === 429 || status >= 500;
  if (code !== undefined && TRANSIENT_CODES.has(code)) return true;
  // A connection cut mid-request surfaces as Node's "socket hang up" inside the SDKs' own error types.
  if (/socket hang up|ECONNRESET|EPIPE|other side closed/i.test((error as Error)?.message ?? '')) return true;
  const cause = (error as { cause?: unknown })?.cause;
  return cause !== undefined && cause !== error ? isTransient(cause) : false;
}

export async function withRetry<T>(operation: () => Promise<T>, policy: RetryPolicy = DEFAULT_RETRY, onRetry?: (attempt: number, error: unknown) => void): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (attempt >= policy.attempts || !isTransient(error)) throw error;
      onRetry?.(attempt, error);
      const delay = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      await new Promise((resolve) => setTimeout(resolve, delay / 2 + Math.random() * (delay / 2)));
    }
  }
}
