// The resolved settings one build runs with: command-line flags, then the config file, then the data
// repository's own toasty-pipeline-config.yaml, then defaults, with every folder made absolute. Rules read
// these; nothing else in the engine reads the config or argv directly.
import type { RepositorySpec } from '../repo/repository-spec.js';
import type { ExpiryPolicy } from '../archive/expiry-policy.js';

/** Where the metadata catalog lives: an SQLite file, or PostgreSQL by the NAME of the variable holding its URL. */
export type CatalogLocation = { readonly kind: 'sqlite'; readonly file: string } | { readonly kind: 'postgres'; readonly urlEnv: string };

export interface Settings {
  /** Folder the config lives in (or the current folder without one); relative config paths start here. */
  readonly projectDir: string;
  /** Where new images arrive (for a URI incoming: the local mirror of it, under the cache folder). */
  readonly incoming: string;
  /** The incoming folder given as a URI (file:DIR, s3://bucket/prefix): fetched into `incoming` before each run. */
  readonly incomingSource?: RepositorySpec;
  /** Where nodes write their outputs (toasty's out_todo), per item. */
  readonly work: string;
  /** Build state: the node records and the file-hash memo. */
  readonly cache: string;
  /** The data repository: a local folder, an Azure container or an S3 bucket. */
  readonly repository: RepositorySpec;
  readonly publishUrlPrefix: string;
  readonly folderName: string;
  /** True when no config set folder_name, so folderName is the repository's own name (the root index warns). */
  readonly folderNameDefaulted?: boolean;
  readonly folderThumbnailUrl: string;
  /** toasty's `source_type` and its section from toasty-pipeline-config.yaml, for feed rules; absent without one. */
  readonly source?: { readonly type: string; readonly settings: Readonly<Record<string, unknown>>; /** Where it was set, for messages. */ readonly from?: string };
  /** Incoming files declared all-sky maps in the config (pattern relative to the incoming folder). */
  readonly allSky?: ReadonlyArray<{ readonly files: string; readonly projection: string; readonly depth?: number }>;
  /** `--prune-removed`: data sets of items a feed no longer offers are withdrawn from the repository. */
  readonly pruneRemoved?: boolean;
  /**
   * Publish only what a reviewer approved (`imgbuild approve`): `--require-approval`, the config's
   * `requireApproval`, or `require_approval: true` in the repository's imgbuild-pipeline-config.yaml.
   */
  readonly requireApproval: boolean;
  /** `--remote-cache` (config `remoteCache`): a store of node outputs shared with other machines (src/remote). */
  readonly remoteCache?: RepositorySpec;
  /** How long archived files live (archive ingest). */
  readonly expiry: ExpiryPolicy;
  /** The metadata catalog (archive ingest). */
  readonly catalog: CatalogLocation;
}
