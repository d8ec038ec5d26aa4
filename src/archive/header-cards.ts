// An exposure's header as its observatory sends it ahead of the FITS (`…-EX01.txt`): FITS header cards, 80
// characters each, one per line or run together without line breaks. The result is the header as a JSON-able
// object (keyword → value; COMMENT and HISTORY as lists), with CONTINUE long strings joined and HIERARCH
// keywords kept whole. A card whose value is not valid FITS is kept as its text and named in a warning.
import { type CardValue, parseValue } from '../fits/fits-cards.js';

export type HeaderValue = CardValue | readonly string[];
export type HeaderObject = Readonly<Record<string, HeaderValue>>;

export interface HeaderWarning {
  /** 1-based card number. */
  readonly card: number;
  readonly keyword: string;
  readonly message: string;
}

export interface ParsedHeader {
  readonly header: HeaderObject;
  readonly warnings: readonly HeaderWarning[];
}

const CARD = 80;

/** The cards of a header text: lines when it has line breaks, else 80-character slices. */
export function splitCards(text: string): string[] {
  const cleaned = text.replace(/\r\n?/g, '\n');
  if (cleaned.includes('\n')) return cleaned.split('\n').filter((line) => line.trim() !== '').map((line) => line.padEnd(CARD).slice(0, Math.max(CARD, line.length)));
  const cards: string[] = [];
  for (let at = 0; at < cleaned.length; at += CARD) cards.push(cleaned.slice(at, at + CARD).padEnd(CARD));
  return cards.filter((card) => card.trim() !== '');
}

/** A value's text without its comment (a quoted string is kept whole: its '/' are not comments). */
function rawValue(valueText: string): string {
  const trimmed = valueText.trim();
  return trimmed.startsWith("'") ? trimmed : trimmed.split('/')[0]!.trim();
}

/** Parse header cards (a `.txt` header, or the cards of a FITS header) into the header object. */
export function headerFromCards(cards: readonly string[]): ParsedHeader {
  const header: Record<string, HeaderValue> = {};
  const warnings: HeaderWarning[] = [];
  let lastString: string | undefined;
  cards.forEach((card, index) => {
    const number = index + 1;
    let keyword = card.slice(0, 8).trimEnd();
    if (keyword === 'END') return;
    if (keyword === 'COMMENT' || keyword === 'HISTORY') {
      const list = (header[keyword] as string[] | undefined) ?? [];
      list.push(card.slice(8).trim());
      header[keyword] = list;
      lastString = undefined;
      return;
    }
    if (keyword === 'CONTINUE') {
      const previous = lastString === undefined ? undefined : header[lastString];
      const { value } = parseValue(card.slice(8));
      if (typeof previous === 'string' && previous.endsWith('&') && typeof value === 'string') header[lastString!] = previous.slice(0, -1) + value;
      else warnings.push({ card: number, keyword, message: `card ${number} is a CONTINUE that follows no long string; kept as it is` });
      return;
    }
    let valueText: string | undefined;
    if (keyword === 'HIERARCH') {
      const eq = card.indexOf('=');
      if (eq < 0) {
        warnings.push({ card: number, keyword, message: `card ${number} (HIERARCH) has no '='; kept as text` });
        header[`card ${number}`] = card.trimEnd();
        return;
      }
      keyword = card.slice(9, eq).trim().replace(/\s+/g, ' ');
      valueText = card.slice(eq + 1);
    } else if (card.slice(8, 10) === '= ') {
      valueText = card.slice(10);
    }
    lastString = undefined;
    if (keyword === '' || valueText === undefined) return; // blank keyword or commentary without '= '
    if (/[^\x20-\x7e]/.test(card)) {
      warnings.push({ card: number, keyword, message: `card ${number} (${keyword}) has characters outside printable ASCII; its value is kept as text` });
      if (!(keyword in header)) header[keyword] = rawValue(valueText);
      return;
    }
    const { value, bad } = parseValue(valueText);
    if (bad) {
      const text = rawValue(valueText);
      warnings.push({ card: number, keyword, message: `card ${number} (${keyword}) has a value that is not valid FITS (${JSON.stringify(text)}); kept as text` });
      if (!(keyword in header)) header[keyword] = text;
      return;
    }
    if (value === undefined || keyword in header) return; // an empty value, or a repeated keyword: the first counts
    header[keyword] = value;
    if (typeof value === 'string') lastString = keyword;
  });
  return { header, warnings };
}

/** A `.txt` header's text → the header object. */
export function headerFromText(text: string): ParsedHeader {
  return headerFromCards(splitCards(text));
}
