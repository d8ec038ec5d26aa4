// Just enough XMP reading for AVM: find a property of a namespace in any of the forms XMP allows
// (attribute on rdf:Description, simple element, rdf:Seq/Bag list, rdf:Alt language alternative).
// XMP packets are small and machine-written; a regex reader over the raw text is enough and has no
// entity-expansion or external-entity surface (we decode only the five predefined entities and char refs).

export interface XmpPacket {
  readonly text: string;
  /** Namespace URI → every prefix bound to it in the packet. */
  readonly prefixes: ReadonlyMap<string, readonly string[]>;
}

export function readXmp(text: string): XmpPacket {
  const prefixes = new Map<string, string[]>();
  for (const m of text.matchAll(/xmlns:([A-Za-z_][\w.-]*)\s*=\s*(["'])(.*?)\2/g)) {
    const uri = m[3] ?? '';
    const list = prefixes.get(uri) ?? [];
    if (!list.includes(m[1] ?? '')) list.push(m[1] ?? '');
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

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Every value of property `name` in namespace `uri`: one string for a simple value, the items of an
 * rdf:Seq/rdf:Bag in order, or the x-default (else first) item of an rdf:Alt. Undefined if absent.
 */
export function xmpValues(packet: XmpPacket, uri: string, name: string): string[] | undefined {
  for (const prefix of packet.prefixes.get(uri) ?? []) {
    const qname = escapeRegExp(`${prefix}:${name}`);
    const attr = new RegExp(`\\s${qname}\\s*=\\s*(["'])([\\s\\S]*?)\\1`).exec(packet.text);
    if (attr) return [decodeXmlText(attr[2] ?? '').trim()];
    const element = new RegExp(`<${qname}(?:\\s[^>]*)?>([\\s\\S]*?)</${qname}\\s*>`).exec(packet.text);
    if (!element) continue;
    const inner = element[1] ?? '';
    const items = [...inner.matchAll(/<rdf:li(\s[^>]*)?>([\s\S]*?)<\/rdf:li\s*>/g)];
    if (items.length === 0) return [decodeXmlText(inner).trim()];
    if (/<rdf:Alt[\s>]/.test(inner)) {
      const preferred = items.find((m) => /xml:lang\s*=\s*["']x-default["']/.test(m[1] ?? '')) ?? items[0];
      return [decodeXmlText(preferred?.[2] ?? '').trim()];
    }
    return items.map((m) => decodeXmlText(m[2] ?? '').trim());
  }
  return undefined;
}
