// FITS header cards: 80-character records in 2880-byte blocks. Handles value cards, CONTINUE long strings,
// HIERARCH keywords, commentary (COMMENT/HISTORY/blank) cards. Returns a typed problem instead of throwing so
// the reader can name the file and HDU.

export type CardValue = string | number | boolean;

export interface FitsCards {
  readonly values: ReadonlyMap<string, CardValue>;
  /** Cards whose value is not valid FITS (real files carry some, e.g. DSS's two-number SKEW): only an error
   *  when the reader needs that keyword. */
  readonly unreadable: ReadonlyMap<string, string>;
  /** Number of header bytes consumed (a multiple of 2880). */
  readonly byteLength: number;
}

export const BLOCK = 2880;
export const CARD = 80;

export type CardsResult = { ok: true; cards: FitsCards } | { ok: false; problem: string } | { ok: 'more' };

/** A card's value text (after `= `): the value, or `bad` when it is not valid FITS. */
export function parseValue(text: string): { value: CardValue | undefined; bad: boolean } {
  const t = text.trimStart();
  if (t.startsWith("'")) {
    // A string: '' is an escaped quote; the string ends at the first lone quote.
    let out = '';
    let i = 1;
    for (;;) {
      const q = t.indexOf("'", i);
      if (q < 0) return { value: undefined, bad: true };
      out += t.slice(i, q);
      if (t[q + 1] === "'") {
        out += "'";
        i = q + 2;
      } else break;
    }
    return { value: out.replace(/ +$/, ''), bad: false };
  }
  const raw = t.split('/')[0]!.trim();
  if (raw === '') return { value: undefined, bad: false };
  if (raw === 'T') return { value: true, bad: false };
  if (raw === 'F') return { value: false, bad: false };
  if (/^[+-]?(\d+\.?\d*|\.\d+)([EeDd][+-]?\d+)?$/.test(raw)) return { value: Number(raw.replace(/[Dd]/, 'E')), bad: false };
  // Complex numbers "(re, im)" are legal but unused by imgbuild; keep them as text.
  if (raw.startsWith('(')) return { value: raw, bad: false };
  return { value: undefined, bad: true };
}

/** Parse header cards from the start of `bytes`; `{ok:'more'}` when no END card yet in the whole blocks given. */
export function parseCards(bytes: Uint8Array): CardsResult {
  const values = new Map<string, CardValue>();
  const unreadable = new Map<string, string>();
  let lastStringKey: string | undefined;
  const blocks = Math.floor(bytes.length / BLOCK);
  for (let offset = 0; offset + CARD <= blocks * BLOCK; offset += CARD) {
    const card = Buffer.from(bytes.buffer, bytes.byteOffset + offset, CARD).toString('latin1');
    const cardNo = offset / CARD + 1;
    if (/[^\x20-\x7e]/.test(card)) return { ok: false, problem: `header card ${cardNo} has non-ASCII bytes; is this a FITS file?` };
    let key = card.slice(0, 8).trimEnd();
    if (key === 'END') {
      if (offset === 0) return { ok: false, problem: 'the header is empty' };
      return { ok: true, cards: { values, unreadable, byteLength: Math.ceil((offset + CARD) / BLOCK) * BLOCK } };
    }
    if (key === 'CONTINUE') {
      // Long string convention: the previous string ended with '&' and this card's string continues it.
      const previous = lastStringKey === undefined ? undefined : values.get(lastStringKey);
      const { value } = parseValue(card.slice(8));
      if (typeof previous === 'string' && previous.endsWith('&') && typeof value === 'string') {
        values.set(lastStringKey!, previous.slice(0, -1) + value);
      }
      continue;
    }
    let valueText: string | undefined;
    if (key === 'HIERARCH') {
      const eq = card.indexOf('=');
      if (eq < 0) continue;
      key = card.slice(9, eq).trim().replace(/\s+/g, ' ');
      valueText = card.slice(eq + 1);
    } else if (card.slice(8, 10) === '= ') {
      valueText = card.slice(10);
    }
    lastStringKey = undefined;
    if (valueText === undefined || key === '' || key === 'COMMENT' || key === 'HISTORY') continue;
    if (offset === 0 && !/^[A-Z0-9_-]+$/.test(key)) return { ok: false, problem: `header card 1 has an invalid keyword "${key}"; is this a FITS file?` };
    const { value, bad } = parseValue(valueText);
    if (bad) {
      unreadable.set(key, `header card ${cardNo} (${key}) has an unreadable value "${valueText.trim()}"`);
      continue;
    }
    if (value !== undefined && !values.has(key)) values.set(key, value);
    if (typeof value === 'string') lastStringKey = key;
  }
  return { ok: 'more' };
}
