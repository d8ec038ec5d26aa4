// What the CLI prints about a failure passes through here: the repository layer's redaction (connection
// strings, signed URLs, registered secret values), plus passwords written inside URLs (`https://user:pw@host`),
// which an endpoint flag or an error quoting one may carry.
import { redact } from '../repo/redact.js';

const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:)[^@\s/]+@/gi;

export function scrubSecrets(text: string): string {
  return redact(text).replace(URL_PASSWORD, '$1[secret]@');
}
