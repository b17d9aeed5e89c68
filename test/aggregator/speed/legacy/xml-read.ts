import { CmisError, type CmisErrorCode } from '../../../../src/aggregator/cmis/errors.js';
import { declaredEncodingFamily, decodeXmlBytes, type XmlByteEncoding } from '../../../../src/aggregator/cmis/xml-encoding.js';
import type { XmlAttribute, XmlDeclaration, XmlDocument, XmlElement, XmlNode } from './xml.js';

export interface ReadXmlOptions {
  /** Name used in error messages (the file name). */
  readonly source?: string;
  /** Elements to check for well-formedness but leave out of the tree (e.g. an inline `xs:schema`). */
  readonly skipElement?: (name: string) => boolean;
  /** Deepest nesting accepted; a book is 3 levels deep, the inline schema about 8. Default 64. */
  readonly maxDepth?: number;
}

// XML 1.0 (5th ed.) §2.3 productions [4] NameStartChar and [4a] NameChar.
const NAME_START = 'A-Z_a-z:\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD\\u{10000}-\\u{EFFFF}';
const NAME_CHAR = NAME_START + '\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040';
const NAME_RE = new RegExp(`[${NAME_START}][${NAME_CHAR}]*`, 'uy');
// §2.2 [2] Char: anything outside it may not appear, not even as a character reference.
const INVALID_CHAR_RE = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const DECLARATION_RE = /^<\?xml\s+version\s*=\s*(["'])(1\.[0-9]+)\1(?:\s+encoding\s*=\s*(["'])([A-Za-z][A-Za-z0-9._-]*)\3)?(?:\s+standalone\s*=\s*(["'])(yes|no)\5)?\s*\?>/;
const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function isXmlChar(cp: number): boolean {
  return cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

interface Frame {
  readonly name: string;
  readonly attributes: XmlAttribute[];
  readonly children: XmlNode[];
  readonly line: number;
  readonly column: number;
  readonly keep: boolean;
}

/** Reads a whole document. Bytes are decoded per their BOM / declaration (UTF-8 or UTF-16 only). */
export function readXml(input: string | Uint8Array, options: ReadXmlOptions = {}): XmlDocument {
  const source = options.source ?? 'XML';
  let text: string;
  let fromBytes: XmlByteEncoding | undefined;
  if (typeof input === 'string') {
    text = input.startsWith('\uFEFF') ? input.slice(1) : input;
  } else {
    const decoded = decodeXmlBytes(input, source);
    text = decoded.text;
    fromBytes = decoded.encoding;
  }
  return new Reader(text, source, options, fromBytes).document();
}

class Reader {
  private readonly s: string;
  private pos = 0;
  private lineStarts: number[] | undefined;
  private readonly skip: (name: string) => boolean;
  private readonly maxDepth: number;

  constructor(
    text: string,
    private readonly source: string,
    options: ReadXmlOptions,
    private readonly fromBytes: XmlByteEncoding | undefined,
  ) {
    // §2.11: CRLF and lone CR are read as LF. Lines keep their numbers, so positions stay true.
    this.s = text.replace(/\r\n?/g, '\n');
    this.skip = options.skipElement ?? (() => false);
    this.maxDepth = options.maxDepth ?? 64;
  }

  document(): XmlDocument {
    const bad = INVALID_CHAR_RE.exec(this.s);
    if (bad) this.fail(`character U+${bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} is not allowed in XML`, bad.index);
    const declaration = this.declaration();
    this.misc(true);
    if (this.pos >= this.s.length) this.fail('no root element');
    const root = this.element();
    this.misc(false);
    if (this.pos < this.s.length) this.fail('content after the root element');
    return declaration === undefined ? { root } : { declaration, root };
  }

  // ---- positions and errors

  private where(pos: number): { line: number; column: number } {
    if (this.lineStarts === undefined) {
      const starts = [0];
      for (let i = 0; i < this.s.length; i++) if (this.s.charCodeAt(i) === 10) starts.push(i + 1);
      this.lineStarts = starts;
    }
    const starts = this.lineStarts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] as number) <= pos) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: pos - (starts[lo] as number) + 1 };
  }

  private fail(message: string, pos = this.pos, code: CmisErrorCode = 'CMIS_XML_SYNTAX'): never {
    const { line, column } = this.where(Math.min(pos, this.s.length));
    throw new CmisError(code, `${this.source}: line ${line}, column ${column}: ${message}`, {
      context: { file: this.source, line, column },
    });
  }

  private startsWith(token: string): boolean {
    return this.s.startsWith(token, this.pos);
  }

  private skipSpace(): boolean {
    const start = this.pos;
    while (this.pos < this.s.length) {
      const c = this.s.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x0a && c !== 0x09) break;
      this.pos++;
    }
    return this.pos > start;
  }

  private name(what: string): string {
    NAME_RE.lastIndex = this.pos;
    const m = NAME_RE.exec(this.s);
    if (!m) this.fail(`expected ${what}`);
    this.pos += m[0].length;
    return m[0];
  }

  // ---- prolog

  private declaration(): XmlDeclaration | undefined {
    if (!/^<\?xml[\s?]/.test(this.s)) return undefined;
    const m = DECLARATION_RE.exec(this.s);
    if (!m) this.fail('malformed XML declaration (expected <?xml version="1.0" encoding="…" standalone="…"?>)', 0);
    const encoding = m[4];
    if (encoding !== undefined) this.checkEncoding(encoding, m[0].indexOf(encoding));
    this.pos = m[0].length;
    return {
      version: m[2] as string,
      ...(encoding === undefined ? {} : { encoding }),
      ...(m[6] === undefined ? {} : { standalone: m[6] as 'yes' | 'no' }),
    };
  }

  private checkEncoding(encoding: string, pos: number): void {
    const family = declaredEncodingFamily(encoding);
    if (family === undefined) {
      this.fail(`encoding "${encoding}" is not supported: CMIS books are UTF-8 or UTF-16`, pos, 'CMIS_XML_ENCODING');
    }
    if (this.fromBytes === undefined) return; // already text: the declaration cannot change how it was decoded
    const actual = this.fromBytes === 'utf-8' ? 'UTF-8' : 'UTF-16';
    if (family === 'utf-16' && this.fromBytes === 'utf-8') {
      this.fail(`declares encoding "${encoding}" but the bytes are UTF-8 (no UTF-16 byte order mark)`, pos, 'CMIS_XML_ENCODING');
    }
    if (family !== 'utf-16' && this.fromBytes !== 'utf-8') {
      this.fail(`declares encoding "${encoding}" but the bytes are ${actual}`, pos, 'CMIS_XML_ENCODING');
    }
    if (family === 'ascii') {
      const i = this.s.search(/[^\x00-\x7f]/);
      if (i >= 0) this.fail(`declares encoding "${encoding}" but contains a non-ASCII character`, i, 'CMIS_XML_ENCODING');
    }
  }

  /** Comments, processing instructions and white space around the root element. */
  private misc(beforeRoot: boolean): void {
    for (;;) {
      this.skipSpace();
      if (this.pos >= this.s.length) return;
      if (this.startsWith('<!--')) this.comment();
      else if (this.startsWith('<?')) this.processingInstruction();
      else if (this.startsWith('<!')) this.markupDeclaration();
      else if (this.startsWith('<') && beforeRoot) return;
      else this.fail(beforeRoot ? 'text before the root element' : 'content after the root element');
    }
  }

  private markupDeclaration(): never {
    if (/^<!doctype/i.test(this.s.slice(this.pos, this.pos + 9))) {
      this.fail(
        '<!DOCTYPE is refused: a CMIS book has no DTD, and DTDs bring entity expansion and external entities',
        this.pos,
        'CMIS_XML_DOCTYPE',
      );
    }
    this.fail('unexpected markup declaration "<!" (only comments and CDATA sections are allowed)');
  }

  private comment(): void {
    const start = this.pos;
    const end = this.s.indexOf('-->', start + 4);
    if (end < 0) this.fail('comment not closed (missing "-->")', start);
    const dashes = this.s.indexOf('--', start + 4);
    if (dashes < end) this.fail('"--" is not allowed inside a comment', dashes);
    if (end - 1 >= start + 4 && this.s[end - 1] === '-') this.fail('a comment may not end with "--->"', end - 1);
    this.pos = end + 3;
  }

  private processingInstruction(): void {
    const start = this.pos;
    this.pos += 2;
    const target = this.name('a processing instruction target after "<?"');
    if (target.toLowerCase() === 'xml') this.fail('the XML declaration is only allowed at the very start of the document', start);
    const end = this.s.indexOf('?>', this.pos);
    if (end < 0) this.fail(`processing instruction <?${target} not closed (missing "?>")`, start);
    if (end > this.pos && !this.skipSpace()) this.fail(`expected white space after <?${target}`);
    this.pos = end + 2;
  }

  // ---- content

  /** The root element and everything inside it; iterative so depth cannot blow the JS stack. */
  private element(): XmlElement {
    const stack: Frame[] = [];
    let root: XmlElement | undefined;
    const close = (frame: Frame): void => {
      const element: XmlElement = {
        kind: 'element',
        name: frame.name,
        attributes: frame.attributes,
        children: frame.children,
        line: frame.line,
        column: frame.column,
      };
      const parent = stack[stack.length - 1];
      if (parent === undefined) root = element;
      else if (frame.keep && parent.keep) parent.children.push(element);
    };
    this.startTag(stack, close);
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as Frame;
      if (this.pos >= this.s.length) {
        this.fail(`<${top.name}> opened at line ${top.line}, column ${top.column} is not closed`);
      }
      if (this.startsWith('</')) {
        const start = this.pos;
        this.pos += 2;
        const name = this.name('an element name after "</"');
        this.skipSpace();
        if (!this.startsWith('>')) this.fail(`expected ">" to end </${name}`);
        this.pos++;
        if (name !== top.name) this.fail(`</${name}> does not close <${top.name}> opened at line ${top.line}, column ${top.column}`, start);
        stack.pop();
        close(top);
      } else if (this.startsWith('<!--')) {
        this.comment();
      } else if (this.startsWith('<![CDATA[')) {
        const start = this.pos;
        const end = this.s.indexOf(']]>', start + 9);
        if (end < 0) this.fail('CDATA section not closed (missing "]]>")', start);
        this.pushText(top, this.s.slice(start + 9, end), start);
        this.pos = end + 3;
      } else if (this.startsWith('<!')) {
        this.markupDeclaration();
      } else if (this.startsWith('<?')) {
        this.processingInstruction();
      } else if (this.startsWith('<')) {
        this.startTag(stack, close);
      } else {
        const start = this.pos;
        const next = this.s.indexOf('<', start);
        const end = next < 0 ? this.s.length : next;
        const raw = this.s.slice(start, end);
        const cdataEnd = raw.indexOf(']]>');
        if (cdataEnd >= 0) this.fail('"]]>" is not allowed in text', start + cdataEnd);
        this.pushText(top, this.decode(raw, start, false), start);
        this.pos = end;
      }
    }
    return root as XmlElement;
  }

  private pushText(frame: Frame, text: string, pos: number): void {
    if (!frame.keep || text === '') return;
    const last = frame.children[frame.children.length - 1];
    if (last !== undefined && last.kind === 'text') {
      frame.children[frame.children.length - 1] = { ...last, text: last.text + text };
      return;
    }
    const { line, column } = this.where(pos);
    frame.children.push({ kind: 'text', text, line, column });
  }

  private startTag(stack: Frame[], close: (frame: Frame) => void): void {
    const start = this.pos;
    this.pos++;
    const name = this.name('an element name after "<"');
    const attributes: XmlAttribute[] = [];
    const seen = new Set<string>();
    for (;;) {
      const spaced = this.skipSpace();
      if (this.pos >= this.s.length) this.fail(`start tag <${name} not closed`, start);
      if (this.startsWith('/>') || this.startsWith('>')) break;
      if (!spaced) this.fail(`expected white space, ">" or "/>" in <${name}`);
      const attrPos = this.pos;
      const attrName = this.name(`an attribute name or ">" in <${name}`);
      this.skipSpace();
      if (!this.startsWith('=')) this.fail(`expected "=" after attribute ${attrName}`);
      this.pos++;
      this.skipSpace();
      const quote = this.s[this.pos];
      if (quote !== '"' && quote !== "'") this.fail(`attribute ${attrName} value must be quoted`);
      const end = this.s.indexOf(quote, this.pos + 1);
      if (end < 0) this.fail(`attribute ${attrName} value not closed`, this.pos);
      const raw = this.s.slice(this.pos + 1, end);
      const lt = raw.indexOf('<');
      if (lt >= 0) this.fail(`"<" is not allowed in attribute ${attrName} value`, this.pos + 1 + lt);
      if (seen.has(attrName)) this.fail(`attribute ${attrName} appears twice in <${name}>`, attrPos);
      seen.add(attrName);
      attributes.push({ name: attrName, value: this.decode(raw, this.pos + 1, true) });
      this.pos = end + 1;
    }
    const selfClosing = this.startsWith('/>');
    this.pos += selfClosing ? 2 : 1;
    if (stack.length >= this.maxDepth) this.fail(`elements nested deeper than ${this.maxDepth} levels`, start);
    const parent = stack[stack.length - 1];
    const { line, column } = this.where(start);
    const keep = parent === undefined ? true : parent.keep && !this.skip(name);
    const frame: Frame = { name, attributes, children: [], line, column, keep };
    if (selfClosing) close(frame);
    else stack.push(frame);
  }

  /** Entity and character references (§4.1, §4.6); attribute values also get §3.3.3 normalisation. */
  private decode(raw: string, offset: number, attribute: boolean): string {
    if (!raw.includes('&') && !(attribute && /[\t\n]/.test(raw))) return raw;
    let out = '';
    for (let i = 0; i < raw.length; i++) {
      const c = raw[i] as string;
      if (c !== '&') {
        out += attribute && (c === '\t' || c === '\n') ? ' ' : c;
        continue;
      }
      const semi = raw.indexOf(';', i + 1);
      const ref = semi < 0 ? '' : raw.slice(i + 1, semi);
      if (semi < 0 || semi - i > 12 || ref === '') {
        this.fail('"&" must start an entity reference such as &amp; (a bare "&" must be written &amp;)', offset + i);
      }
      if (ref.startsWith('#')) {
        const m = /^#(?:x([0-9A-Fa-f]{1,6})|([0-9]{1,7}))$/.exec(ref);
        const cp = m ? parseInt((m[1] ?? m[2]) as string, m[1] !== undefined ? 16 : 10) : -1;
        if (!m || !isXmlChar(cp)) this.fail(`character reference &${ref}; is not a valid XML character`, offset + i);
        out += String.fromCodePoint(cp);
      } else {
        const value = PREDEFINED[ref];
        if (value === undefined) {
          this.fail(`unknown entity &${ref}; (no DTD: only &amp; &lt; &gt; &quot; &apos; and character references)`, offset + i);
        }
        out += value;
      }
      i = semi;
    }
    return out;
  }
}
