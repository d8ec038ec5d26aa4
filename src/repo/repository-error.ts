// A repository that cannot be reached, refuses us, or has no credentials: an `environment` error (exit 1) in
// one line that names the repository and says what to do, never a stack trace, never a secret.
import { ImgbuildError } from '../errors.js';
import { redact } from './redact.js';
import { errorStatus, isTransient } from './retry.js';

export class RepositoryError extends ImgbuildError {
  override readonly name = 'RepositoryError';
  constructor(message: string, options?: { readonly cause?: unknown }) {
    super('environment', message, options);
  }
}

/** What the user can do about `error`, judged from its status and code (never from its text alone). */
function remedy(error: unknown): string {
  const { status, code } = errorStatus(error);
  const name = (error as Error)?.name ?? '';
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test((error as Error)?.message ?? '')) {
    return 'no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) in the environment';
  }
  if (code === 'NoSuchBucket') return 'the bucket does not exist: create it or check --s3-bucket';
  if (code === 'ContainerNotFound') return 'the container does not exist: create it or check --azure-container';
  if (status === 401 || status === 403) return 'access was refused: check the credentials and their permissions on it';
  if (status === 404) return 'it does not exist: check its name and address';
  if (isTransient(error)) return 'it could not be reached: check that it is running and its address (and the network)';
  return 'check its address, name and credentials';
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}

/** The error to throw when `what` (e.g. "reading x/y") failed in repository `description`. */
export function repositoryFailure(what: string, description: string, error: unknown): RepositoryError {
  if (error instanceof RepositoryError) return error;
  const { status, code } = errorStatus(error);
  const detail = firstLine((error as Error)?.message || code || (status !== undefined ? `HTTP ${status}` : String(error)));
  return new RepositoryError(redact(`${what} in ${description} failed (${detail}); ${remedy(error)}`), { cause: error });
}
