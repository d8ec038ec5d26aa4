// File names and ids come from users' folders and feeds: a name may hold a newline, an escape sequence or a
// bidirectional override. Every human-readable line that shows a name goes through quoteName, so a name can
// never forge a line (`error: ...`), move the cursor or hide text. Plain names are shown as they are.

/** C0/C1 controls, DEL, line/paragraph separators, bidi embeddings/overrides/isolates, the BOM. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ufffd]/;
const UNSAFE_ALL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ufffd"\\]/g;

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '"': '\\"', '\\': '\\\\' };

/**
 * `name` as it may appear in a message: unchanged when it holds nothing unsafe, otherwise in double quotes
 * with every unsafe character written as an escape (`\n`, `\x1b`, `\u202e`), quotes and backslashes escaped,
 * so the text shown is unambiguous and stays on one line.
 */
export function quoteName(name: string): string {
  if (!UNSAFE.test(name)) return name;
  const escaped = name.replace(UNSAFE_ALL, (ch) => {
    const named = NAMED[ch];
    if (named !== undefined) return named;
    const code = ch.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
  return `"${escaped}"`;
}
