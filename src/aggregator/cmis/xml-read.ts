import { CmisError, type CmisErrorCode } from './errors.js';
import { declaredEncodingFamily, decodeXmlBytes, type XmlByteEncoding } from './xml-encoding.js';
import type { XmlAttribute, XmlDeclaration, XmlDocument, XmlElement, XmlNode, XmlText } from './xml.js';

export interface ReadXmlOptions {
  /** Name used in error messages (the file name). */
  readonly source?: string;
  /** Elements to check for well-formedness but leave out of the tree (e.g. an inline `xs:schema`). */
  readonly skipElement?: (name: string) => boolean;
  /** Deepest nesting accepted; a book is 3 levels deep, the inline schema about 8. Default 64. */
  readonly maxDepth?: number;
}

/**
 * What the scanner reports, in document order, for everything outside skipped elements. Positions are
 * offsets in the (line-end normalised) text; `XmlScanner.where(pos)` turns one into line and column, which
 * costs nothing until an error needs it. Text may come in several pieces (text, then CDATA…); an empty
 * piece is never reported.
 */
export interface XmlEvents {
  start(name: string, attributes: readonly XmlAttribute[], pos: number): void;
  text(text: string, pos: number): void;
  end(name: string): void;
}

// XML 1.0 (5th ed.) §2.3 productions [4] NameStartChar and [4a] NameChar.
const NAME_START = 'A-Z_a-z:\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD\\u{10000}-\\u{EFFFF}';
const NAME_CHAR = NAME_START + '\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040';
const NAME_RE = new RegExp(`[${NAME_START}][${NAME_CHAR}]*`, 'uy');
// §2.2 [2] Char. The first, lookaround-free class finds candidates at full regex speed (nearly every file
// has none); only then does the exact test (surrogates must pair) run from there.
const MAYBE_INVALID_RE = /[\x00-\x08\x0B\x0C\x0E-\x1F\uD800-\uDFFF\uFFFE\uFFFF]/g;
const INVALID_CHAR_RE = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const DECLARATION_RE = /^<\?xml\s+version\s*=\s*(["'])(1\.[0-9]+)\1(?:\s+encoding\s*=\s*(["'])([A-Za-z][A-Za-z0-9._-]*)\3)?(?:\s+standalone\s*=\s*(["'])(yes|no)\5)?\s*\?>/;
const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const NO_ATTRIBUTES: readonly XmlAttribute[] = Object.freeze([]);

const LT = 0x3c;
const GT = 0x3e;
const SLASH = 0x2f;
const BANG = 0x21;
const QUESTION = 0x3f;

export function isXmlChar(cp: number): boolean {
  return cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

/** An ASCII NameChar ([A-Za-z0-9_:.-]); anything else non-ASCII goes through NAME_RE. */
function isAsciiNameChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || c === 0x3a || c === 0x2e || c === 0x2d;
}

/** Reads a whole document into a tree. Bytes are decoded per their BOM / declaration (UTF-8 or UTF-16 only). */
export function readXml(input: string | Uint8Array, options: ReadXmlOptions = {}): XmlDocument {
  const scanner = new XmlScanner(input, options);
  const builder = new TreeBuilder(scanner);
  const declaration = scanner.run(builder);
  const root = builder.root as XmlElement;
  return declaration === undefined ? { root } : { declaration, root };
}

/** Builds the element tree from the scanner's events; adjacent text pieces become one node. */
class TreeBuilder implements XmlEvents {
  root: XmlElement | undefined;
  private readonly stack: { name: string; attributes: readonly XmlAttribute[]; children: XmlNode[]; line: number; column: number }[] = [];

  constructor(private readonly scanner: XmlScanner) {}

  start(name: string, attributes: readonly XmlAttribute[], pos: number): void {
    const { line, column } = this.scanner.where(pos);
    this.stack.push({ name, attributes: attributes === NO_ATTRIBUTES ? [] : attributes, children: [], line, column });
  }

  text(text: string, pos: number): void {
    const children = (this.stack[this.stack.length - 1] as { children: XmlNode[] }).children;
    const last = children[children.length - 1];
    if (last !== undefined && last.kind === 'text') {
      children[children.length - 1] = { ...last, text: last.text + text };
      return;
    }
    const { line, column } = this.scanner.where(pos);
    children.push({ kind: 'text', text, line, column } satisfies XmlText);
  }

  end(): void {
    const f = this.stack.pop() as (typeof this.stack)[number];
    const element: XmlElement = { kind: 'element', name: f.name, attributes: f.attributes, children: f.children, line: f.line, column: f.column };
    const parent = this.stack[this.stack.length - 1];
    if (parent === undefined) this.root = element;
    else parent.children.push(element);
  }
}

/**
 * A strict, single-pass XML tokenizer over char codes: `indexOf` finds the next `<`, names are read with
 * a char-code loop (the Unicode regex only for non-ASCII names), nothing is allocated per character and
 * line/column are worked out only when asked (errors, or a caller that records them). Every check of
 * XML 1.0 that the reader made before stays: well-formedness, §2.2 characters, no DTD, the declared
 * encoding against the bytes, entity and character references, depth.
 */
export class XmlScanner {
  private readonly s: string;
  private pos = 0;
  private lineStarts: number[] | undefined;
  private readonly source: string;
  private readonly fromBytes: XmlByteEncoding | undefined;
  private readonly skip: (name: string) => boolean;
  private readonly maxDepth: number;

  constructor(input: string | Uint8Array, options: ReadXmlOptions = {}) {
    this.source = options.source ?? 'XML';
    let text: string;
    if (typeof input === 'string') {
      text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
    } else {
      const decoded = decodeXmlBytes(input, this.source);
      text = decoded.text;
      this.fromBytes = decoded.encoding;
    }
    // §2.11: CRLF and lone CR are read as LF. Lines keep their numbers, so positions stay true.
    this.s = text.indexOf('\r') < 0 ? text : text.replace(/\r\n?/g, '\n');
    this.skip = options.skipElement ?? (() => false);
    this.maxDepth = options.maxDepth ?? 64;
  }

  /** Scans the whole document, reporting to `events`; returns the XML declaration when there is one. */
  run(events: XmlEvents): XmlDeclaration | undefined {
    this.checkChars();
    const declaration = this.declaration();
    this.misc(true);
    if (this.pos >= this.s.length) this.fail('no root element');
    this.content(events);
    this.misc(false);
    if (this.pos < this.s.length) this.fail('content after the root element');
    return declaration;
  }

  // ---- positions and errors

  /** Line and column (1-based) of an offset in the text. */
  where(pos: number): { line: number; column: number } {
    if (this.lineStarts === undefined) {
      const starts = [0];
      for (let i = this.s.indexOf('\n'); i >= 0; i = this.s.indexOf('\n', i + 1)) starts.push(i + 1);
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

  fail(message: string, pos = this.pos, code: CmisErrorCode = 'CMIS_XML_SYNTAX'): never {
    const { line, column } = this.where(Math.min(pos, this.s.length));
    throw new CmisError(code, `${this.source}: line ${line}, column ${column}: ${message}`, {
      context: { file: this.source, line, column },
    });
  }

  private checkChars(): void {
    MAYBE_INVALID_RE.lastIndex = 0;
    const maybe = MAYBE_INVALID_RE.exec(this.s);
    if (maybe === null) return;
    INVALID_CHAR_RE.lastIndex = maybe.index;
    const bad = INVALID_CHAR_RE.exec(this.s);
    if (bad) this.fail(`character U+${bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} is not allowed in XML`, bad.index);
  }

  private startsWith(token: string): boolean {
    return this.s.startsWith(token, this.pos);
  }

  private skipSpace(): boolean {
    const start = this.pos;
    const s = this.s;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x0a && c !== 0x09) break;
      this.pos++;
    }
    return this.pos > start;
  }

  private name(what: string): string {
    const s = this.s;
    const start = this.pos;
    const first = s.charCodeAt(start);
    // ASCII fast path: a letter, "_" or ":" then ASCII name characters, ended by an ASCII character.
    if ((first >= 0x61 && first <= 0x7a) || (first >= 0x41 && first <= 0x5a) || first === 0x5f || first === 0x3a) {
      let i = start + 1;
      while (i < s.length && isAsciiNameChar(s.charCodeAt(i))) i++;
      if (i >= s.length || s.charCodeAt(i) < 0x80) {
        this.pos = i;
        return s.slice(start, i);
      }
    }
    NAME_RE.lastIndex = start;
    const m = NAME_RE.exec(s);
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

  /** The root element and everything inside it; iterative (a stack of names) so depth cannot blow the JS stack. */
  private content(events: XmlEvents): void {
    const s = this.s;
    const names: string[] = [];
    const starts: number[] = [];
    // Elements at depth > keptDepth are inside a skipped one: checked, not reported.
    let keptDepth = Number.MAX_SAFE_INTEGER;
    const open = (): void => {
      const start = this.pos;
      const { name, attributes, selfClosing } = this.startTag();
      if (names.length >= this.maxDepth) this.fail(`elements nested deeper than ${this.maxDepth} levels`, start);
      const depth = names.length; // of this element: 0 for the root
      if (depth <= keptDepth) {
        if (depth > 0 && this.skip(name)) keptDepth = depth - 1;
        else events.start(name, attributes, start);
      }
      if (selfClosing) {
        if (depth <= keptDepth) events.end(name);
        else if (depth === keptDepth + 1) keptDepth = Number.MAX_SAFE_INTEGER;
      } else {
        names.push(name);
        starts.push(start);
      }
    };
    open();
    while (names.length > 0) {
      const depth = names.length - 1;
      const top = names[depth] as string;
      if (this.pos >= s.length) {
        const at = this.where(starts[depth] as number);
        this.fail(`<${top}> opened at line ${at.line}, column ${at.column} is not closed`);
      }
      const c = s.charCodeAt(this.pos);
      if (c !== LT) {
        const start = this.pos;
        const next = s.indexOf('<', start);
        const end = next < 0 ? s.length : next;
        const raw = s.slice(start, end);
        const cdataEnd = raw.indexOf(']]>');
        if (cdataEnd >= 0) this.fail('"]]>" is not allowed in text', start + cdataEnd);
        const text = raw.indexOf('&') < 0 ? raw : this.decode(raw, start, false);
        if (depth <= keptDepth && text !== '') events.text(text, start);
        this.pos = end;
        continue;
      }
      const c1 = s.charCodeAt(this.pos + 1);
      if (c1 === SLASH) {
        const start = this.pos;
        // Fast path: `</top>` exactly, as every writer we know emits it.
        const after = start + 2 + top.length;
        if (s.startsWith(top, start + 2) && s.charCodeAt(after) === GT) {
          this.pos = after + 1;
        } else {
          this.pos += 2;
          const name = this.name('an element name after "</"');
          this.skipSpace();
          if (!this.startsWith('>')) this.fail(`expected ">" to end </${name}`);
          this.pos++;
          if (name !== top) {
            const at = this.where(starts[depth] as number);
            this.fail(`</${name}> does not close <${top}> opened at line ${at.line}, column ${at.column}`, start);
          }
        }
        names.pop();
        starts.pop();
        if (depth <= keptDepth) events.end(top);
        else if (depth === keptDepth + 1) keptDepth = Number.MAX_SAFE_INTEGER;
      } else if (c1 === BANG) {
        if (this.startsWith('<!--')) this.comment();
        else if (this.startsWith('<![CDATA[')) {
          const start = this.pos;
          const end = s.indexOf(']]>', start + 9);
          if (end < 0) this.fail('CDATA section not closed (missing "]]>")', start);
          if (depth <= keptDepth && end > start + 9) events.text(s.slice(start + 9, end), start);
          this.pos = end + 3;
        } else this.markupDeclaration();
      } else if (c1 === QUESTION) {
        this.processingInstruction();
      } else {
        open();
      }
    }
  }

  private startTag(): { name: string; attributes: readonly XmlAttribute[]; selfClosing: boolean } {
    const s = this.s;
    const start = this.pos;
    this.pos++;
    const name = this.name('an element name after "<"');
    let attributes: XmlAttribute[] | undefined;
    for (;;) {
      const c = s.charCodeAt(this.pos);
      if (c === GT) {
        this.pos++;
        return { name, attributes: attributes ?? NO_ATTRIBUTES, selfClosing: false };
      }
      const spaced = this.skipSpace();
      if (this.pos >= s.length) this.fail(`start tag <${name} not closed`, start);
      const d = s.charCodeAt(this.pos);
      if (d === GT) continue;
      if (d === SLASH && s.charCodeAt(this.pos + 1) === GT) {
        this.pos += 2;
        return { name, attributes: attributes ?? NO_ATTRIBUTES, selfClosing: true };
      }
      if (!spaced) this.fail(`expected white space, ">" or "/>" in <${name}`);
      const attrPos = this.pos;
      const attrName = this.name(`an attribute name or ">" in <${name}`);
      this.skipSpace();
      if (!this.startsWith('=')) this.fail(`expected "=" after attribute ${attrName}`);
      this.pos++;
      this.skipSpace();
      const quote = s[this.pos];
      if (quote !== '"' && quote !== "'") this.fail(`attribute ${attrName} value must be quoted`);
      const end = s.indexOf(quote, this.pos + 1);
      if (end < 0) this.fail(`attribute ${attrName} value not closed`, this.pos);
      const raw = s.slice(this.pos + 1, end);
      const lt = raw.indexOf('<');
      if (lt >= 0) this.fail(`"<" is not allowed in attribute ${attrName} value`, this.pos + 1 + lt);
      attributes ??= [];
      if (attributes.some((a) => a.name === attrName)) this.fail(`attribute ${attrName} appears twice in <${name}>`, attrPos);
      attributes.push({ name: attrName, value: this.decode(raw, this.pos + 1, true) });
      this.pos = end + 1;
    }
  }

  /** Entity and character references (§4.1, §4.6); attribute values also get §3.3.3 normalisation. */
  private decode(raw: string, offset: number, attribute: boolean): string {
    if (attribute) return this.decodeAttribute(raw, offset);
    let out = '';
    let from = 0;
    for (let i = raw.indexOf('&'); i >= 0; i = raw.indexOf('&', from)) {
      out += raw.slice(from, i);
      const semi = raw.indexOf(';', i + 1);
      out += this.reference(raw, i, semi, offset);
      from = semi + 1;
    }
    return out + raw.slice(from);
  }

  /** Literal tabs and line feeds become spaces; characters given by a reference stay as they are. */
  private decodeAttribute(raw: string, offset: number): string {
    if (raw.indexOf('&') < 0) return raw.replace(/[\t\n]/g, ' ');
    let out = '';
    for (let i = 0; i < raw.length; i++) {
      const c = raw[i] as string;
      if (c !== '&') {
        out += c === '\t' || c === '\n' ? ' ' : c;
        continue;
      }
      const semi = raw.indexOf(';', i + 1);
      out += this.reference(raw, i, semi, offset);
      i = semi;
    }
    return out;
  }

  /** The text of the reference `raw[amp..semi]` (semi < 0 when there is no ";"). */
  private reference(raw: string, amp: number, semi: number, offset: number): string {
    const ref = semi < 0 ? '' : raw.slice(amp + 1, semi);
    if (semi < 0 || semi - amp > 12 || ref === '') {
      this.fail('"&" must start an entity reference such as &amp; (a bare "&" must be written &amp;)', offset + amp);
    }
    if (ref.charCodeAt(0) === 0x23) {
      const m = /^#(?:x([0-9A-Fa-f]{1,6})|([0-9]{1,7}))$/.exec(ref);
      const cp = m ? parseInt((m[1] ?? m[2]) as string, m[1] !== undefined ? 16 : 10) : -1;
      if (!m || !isXmlChar(cp)) this.fail(`character reference &${ref}; is not a valid XML character`, offset + amp);
      return String.fromCodePoint(cp);
    }
    const value = PREDEFINED[ref];
    if (value === undefined) {
      this.fail(`unknown entity &${ref}; (no DTD: only &amp; &lt; &gt; &quot; &apos; and character references)`, offset + amp);
    }
    return value;
  }
}
