// Which feed a build reads: toasty's `source_type` and its section (toasty-pipeline-config.yaml, the config's
// `source`, or --source-type/--source-url), checked once, with one line naming the setting that is wrong.
import { ConfigError } from '../config/pipeline-config.js';
import type { Settings } from '../config/settings.js';

export type FeedSource =
  | { readonly type: 'astropix'; readonly jsonQueryUrl: string }
  | { readonly type: 'djangoplicity'; readonly baseUrl: string; readonly channelName: string; readonly searchPageName: string };

export const FEED_TYPES = ['astropix', 'djangoplicity'] as const;

function httpUrl(value: unknown, name: string, where: string): string {
  if (typeof value !== 'string' || value === '') throw new ConfigError(`${where}: ${name} is not set (the feed's URL)`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${where}: ${name} ${JSON.stringify(value)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`${where}: ${name} must be an http(s) URL`);
  return value;
}

/** The feed `settings.source` names, or a ConfigError saying what is missing or unknown. */
export function feedSourceOf(source: NonNullable<Settings['source']>): FeedSource {
  const where = source.from ?? 'source_type';
  const s = source.settings;
  if (source.type === 'astropix') return { type: 'astropix', jsonQueryUrl: httpUrl(s['json_query_url'], 'astropix.json_query_url', where) };
  if (source.type === 'djangoplicity') {
    const base = httpUrl(s['base_url'], 'djangoplicity.base_url', where);
    const channel = s['channel_name'];
    const page = s['search_page_name'] ?? 'page';
    if (typeof page !== 'string' || !/^[A-Za-z0-9_-]+$/.test(page)) throw new ConfigError(`${where}: djangoplicity.search_page_name must be a plain name`);
    return { type: 'djangoplicity', baseUrl: base.endsWith('/') ? base : `${base}/`, channelName: typeof channel === 'string' ? channel : '', searchPageName: page };
  }
  throw new ConfigError(`${where}: source_type ${JSON.stringify(source.type)} is not a feed imgbuild reads (it reads ${FEED_TYPES.join(' and ')}); fix source_type, or remove it to build from the incoming folder`);
}
