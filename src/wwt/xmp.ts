// Just enough XMP reading for AVM: find a property of a namespace in any of the forms XMP allows
// (attribute on rdf:Description, simple element, rdf:Seq/Bag list, rdf:Alt language alternative).
// XMP packets are small and machine-written, but an image is hostile input: a packet of 160,000 unclosed
// `<dc:title>` tags made a lazy regex scan quadratic (79 s for a 104 KB PNG, every other image stalled).
// So the reader is a hand-written scanner that visits each character a bounded number of times per lookup
// (every `indexOf` resumes where the last one stopped, or is remembered), has no recursion (nesting depth
// cannot cost anything), refuses packets over MAX_XMP_CHARS, and decodes only the five predefined entities
// and char refs (no entity-expansion or external-entity surface).

/** Larger packets are refused: real AVM/XMP packets are kilobytes; Photoshop's history rarely reaches 1 MB. */
export const MAX_XMP_CHARS = 8 * 1024 * 1024;

export class XmpError extends Error {
  override readonly name = 'XmpError';
}

export interface XmpPacket {
  readonly text: string;
  /** Namespace URI → every prefix bound to it in the packet. */
  readonly prefixes: ReadonlyMap<string, readonly string[]>;
}

/** Characters the scanner stepped over, summed over this process: what the linear-time test looks at. */
export const xmpScanStats = { visited: 0 };

/**
 * `text.indexOf(needle, from)`, remembering the answer: asked again from a later position that is still
 * before the remembered hit, it answers without scanning. So a run of lookups with increasing `from` costs
 * one pass over the text in total, even when the needle is absent.
 */
class NextIndex {
  private at = -2;
  private hit = -1;
  constructor(
    private readonly text: string,
    private readonly needle: string,
  ) {}
  from(from: number): number {
    if (this.at !== -2 && from >= this.at && (this.hit === -1 || from <= this.hit)) return this.hit;
    this.hit = this.text.indexOf(this.needle, from);
    xmpScanStats.visited += (this.hit === -1 ? this.text.length : this.hit) - from;
    this.at = from;
    return this.hit;
  }
}

const NAME_CHAR = /[\w.-]/;

type QuoteFinders = Readonly<Record<'"' | "'", NextIndex>>;

/** After an attribute name at `j`: spaces, `=`, spaces and a quoted value; its [start, end), or undefined. */
function quotedValueAt(text: string, j: number, quotes: QuoteFinders): { start: number; end: number } | undefined {
  while (/\s/.test(text[j] ?? '')) j++;
  if (text[j] !== '=') return undefined;
  j++;
  while (/\s/.test(text[j] ?? '')) j++;
  const quote = text[j];
  if (quote !== '"' && quote !== "'") return undefined;
  const end = quotes[quote].from(j + 1);
  return end === -1 ? undefined : { start: j + 1, end };
}

export function readXmp(text: string): XmpPacket {
  if (text.length > MAX_XMP_CHARS) {
    throw new XmpError(`the XMP packet holds ${text.length} characters, more than the ${MAX_XMP_CHARS} imgbuild reads`);
  }
  const prefixes = new Map<string, string[]>();
  const marker = new NextIndex(text, 'xmlns:');
  const quotes = { '"': new NextIndex(text, '"'), "'": new NextIndex(text, "'") };
  for (let i = marker.from(0); i !== -1; i = marker.from(i + 1)) {
    let j = i + 6;
    while (j < text.length && NAME_CHAR.test(text[j]!)) j++;
    const prefix = text.slice(i + 6, j);
    if (!/^[A-Za-z_]/.test(prefix)) continue;
    const value = quotedValueAt(text, j, quotes);
    if (value === undefined) continue;
    xmpScanStats.visited += value.start - 1 - i;
    const uri = text.slice(value.start, value.end);
    const list = prefixes.get(uri) ?? [];
    if (!list.includes(prefix)) list.push(prefix);
    prefixes.set(uri, list);
  }
  return { text, prefixes };
}
export function decodeXmlText(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|lt|gt|amp|quot|apos);/g, (_, ref: string) => {
    switch (ref) {
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'amp':
        return '&';
      case 'quot':
        return '"';
      case 'apos':
        return "'";
      default: {
        const code = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
        return Number.isFinite(code) && code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '';
      }
    }
  });
}

/** `<qname ...>` at `i` (the `<` is at i): the index just after its `>`, or -1 when it is not one. */
function openTagEnd(text: string, i: number, qname: string, gt: NextIndex): number {
  const after = text[i + 1 + qname.length];
  if (after === '>') return i + 2 + qname.length;
  if (after === undefined || !/\s/.test(after)) return -1;
  const end = gt.from(i + 1 + qname.length);
  return end === -1 ? -1 : end + 1;
}

/** `</qname` at `i` followed by optional space and `>`: the index just after it, or -1. */
function closeTagEnd(text: string, i: number, qname: string): number {
  let j = i + 2 + qname.length;
  const limit = j + 64; // `</x   >`: a little space is allowed, not a scan
  while (j < text.length && j < limit && /\s/.test(text[j]!)) j++;
  return text[j] === '>' ? j + 1 : -1;
}

interface Element {
  /** The open tag's text between the name and `>` (its attributes). */
  readonly attributes: string;
  readonly inner: string;
}

/**
 * Elements `<qname ...>inner</qname>` in order, from `from` to `to` (exclusive), not nested in each other,
 * each ending at the first close tag after its open tag: what a lazy regex finds, in one pass. `limit` stops
 * after that many elements.
 */
function elements(text: string, qname: string, from: number, to: number, limit: number): Element[] {
  const found: Element[] = [];
  const open = new NextIndex(text, `<${qname}`);
  const close = new NextIndex(text, `</${qname}`);
  const gt = new NextIndex(text, '>');
  let at = from;
  while (found.length < limit) {
    const i = open.from(at);
    if (i === -1 || i >= to) break;
    const start = openTagEnd(text, i, qname, gt);
    if (start === -1 || start > to) {
      at = i + 1;
      continue;
    }
    let c = close.from(start);
    let end = -1;
    while (c !== -1 && c < to) {
      end = closeTagEnd(text, c, qname);
      if (end !== -1 && end <= to) break;
      end = -1;
      c = close.from(c + 1);
    }
    // No close tag after this open tag: none after any later one either. Stop, instead of retrying each.
    if (end === -1) break;
    found.push({ attributes: text.slice(i + 1 + qname.length, start - 1), inner: text.slice(start, c) });
    at = end;
  }
  return found;
}

/** The value of attribute `qname="..."` (preceded by white space) anywhere in the packet, scanned once. */
function attribute(text: string, qname: string): string | undefined {
  const name = new NextIndex(text, qname);
  const quotes = { '"': new NextIndex(text, '"'), "'": new NextIndex(text, "'") };
  for (let i = name.from(0); i !== -1; i = name.from(i + 1)) {
    if (i === 0 || !/\s/.test(text[i - 1]!)) continue;
    const value = quotedValueAt(text, i + qname.length, quotes);
    if (value !== undefined) return text.slice(value.start, value.end);
  }
  return undefined;
}

/** List items kept per property: a packet with millions of `rdf:li` is not a caption. */
const MAX_ITEMS = 10_000;

/**
 * Every value of property `name` in namespace `uri`: one string for a simple value, the items of an
 * rdf:Seq/rdf:Bag in order, or the x-default (else first) item of an rdf:Alt. Undefined if absent.
 */
export function xmpValues(packet: XmpPacket, uri: string, name: string): string[] | undefined {
  const text = packet.text;
  for (const prefix of packet.prefixes.get(uri) ?? []) {
    const qname = `${prefix}:${name}`;
    const attr = attribute(text, qname);
    if (attr !== undefined) return [decodeXmlText(attr).trim()];
    const element = elements(text, qname, 0, text.length, 1)[0];
    if (!element) continue;
    const inner = element.inner;
    const items = elements(inner, 'rdf:li', 0, inner.length, MAX_ITEMS);
    if (items.length === 0) return [decodeXmlText(inner).trim()];
    if (/<rdf:Alt[\s>]/.test(inner)) {
      const preferred = items.find((m) => /xml:lang\s*=\s*["']x-default["']/.test(m.attributes)) ?? items[0];
      return [decodeXmlText(preferred?.inner ?? '').trim()];
    }
    return items.map((m) => decodeXmlText(m.inner).trim());
  }
  return undefined;
}
