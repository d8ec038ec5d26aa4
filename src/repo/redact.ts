// Secrets must never reach a log or an error message. Connection strings, signed URLs and URL passwords are scrubbed from
// anything an adapter reports, and the exact secret values the process was given are replaced wherever
// they appear.

const PATTERNS: RegExp[] = [
  /(AccountKey=)[^;\s"']+/gi,
  /(SharedAccessSignature=)[^;\s"']+/gi,
  /([?&](?:sig|se|sp|sv|st|spr|srt|ss|skoid|sktid|skt|ske|sks|skv)=)[^&\s"']+/gi,
  /(X-Amz-(?:Signature|Credential|Security-Token)=)[^&\s"']+/gi,
  /(aws_secret_access_key\s*=\s*)\S+/gi,
  // A password in a URL (`--s3-endpoint http://user:PASS@host`): scheme://user: is kept, the password goes.
  // Up to the last '@' before the host, so a password holding '@' or a space goes whole.
  /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^/\n]*(?=@[^@/\s]+)/gi,
];

const known = new Set<string>();

/** Remember a secret value so that it is removed from every message made afterwards. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 8) known.add(value);
}

export function redact(text: string): string {
  let out = text;
  for (const secret of known) out = out.split(secret).join('[secret]');
  for (const pattern of PATTERNS) out = out.replace(pattern, '$1[secret]');
  return out;
}
