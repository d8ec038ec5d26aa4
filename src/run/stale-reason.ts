// Why a node runs: ninja's `-d explain`, as data. The plan, the terminal, --json and a future web page all
// take the reason from here, so a dry run and a real run explain themselves with the same words.

export type StaleReason =
  | { readonly kind: 'never-built' }
  | { readonly kind: 'rule-version-changed'; readonly from: string; readonly to: string }
  | { readonly kind: 'params-changed'; readonly names: readonly string[] }
  | { readonly kind: 'tools-changed'; readonly names: readonly string[] }
  /** An environment variable the rule declares (`env`) has another value. */
  | { readonly kind: 'env-changed'; readonly names: readonly string[] }
  | { readonly kind: 'input-changed'; readonly name: string; readonly path: string }
  | { readonly kind: 'input-added'; readonly name: string; readonly path: string }
  | { readonly kind: 'input-removed'; readonly name: string }
  | { readonly kind: 'input-missing'; readonly name: string; readonly path: string }
  | { readonly kind: 'upstream-changed'; readonly ids: readonly string[] }
  /** An upstream node will change state outside the work folder (the repository), which this node reads. */
  | { readonly kind: 'upstream-external'; readonly ids: readonly string[] }
  | { readonly kind: 'output-missing'; readonly path: string }
  | { readonly kind: 'output-modified'; readonly path: string }
  | { readonly kind: 'external'; readonly detail: string }
  | { readonly kind: 'requested' }
  /** Never built, and listed by its producer for this reason (new in the feed, …). */
  | { readonly kind: 'listed'; readonly why: string }
  /** Its item's data in the producer's list changed (another image URL, a new title). */
  | { readonly kind: 'item-changed'; readonly why: string | undefined }
  /** It failed in an earlier build and is tried again. */
  | { readonly kind: 'failed-before'; readonly detail: string };

export function describeReason(reason: StaleReason): string {
  switch (reason.kind) {
    case 'never-built':
      return 'never built';
    case 'rule-version-changed':
      return `rule version changed (${reason.from} → ${reason.to})`;
    case 'params-changed':
      return `parameter changed: ${reason.names.join(', ')}`;
    case 'tools-changed':
      return `tool version changed: ${reason.names.join(', ')}`;
    case 'env-changed':
      return `environment variable changed: ${reason.names.join(', ')}`;
    case 'input-changed':
      return `input changed: ${reason.name} (${reason.path})`;
    case 'input-added':
      return `input appeared: ${reason.name} (${reason.path})`;
    case 'input-removed':
      return `input went away: ${reason.name}`;
    case 'input-missing':
      return `input missing: ${reason.name} (${reason.path})`;
    case 'upstream-changed':
      return reason.ids.length === 0 ? 'upstream nodes went away' : `upstream changed: ${listIds(reason.ids)}`;
    case 'upstream-external':
      return `${listIds(reason.ids)} will update the repository (or other state outside the work folder)`;
    case 'output-missing':
      return `output missing: ${reason.path}`;
    case 'output-modified':
      return `output modified: ${reason.path}`;
    case 'external':
      return reason.detail;
    case 'requested':
      return 'asked for on the command line';
    case 'listed':
      return reason.why;
    case 'item-changed':
      return reason.why ?? 'its item changed';
    case 'failed-before':
      return `failed before (${reason.detail}): tried again`;
    default:
      return assertNever(reason);
  }
}

function listIds(ids: readonly string[]): string {
  return `${ids.slice(0, 3).join(', ')}${ids.length > 3 ? ` and ${ids.length - 3} more` : ''}`;
}

export function assertNever(value: never): never {
  throw new Error(`unexpected value ${JSON.stringify(value)}`);
}
