import { CmisError } from './errors.js';
import type { XmlElement, XmlNode } from './xml.js';

export interface WriteXmlOptions {
  /** The `<?xml …?>` line; `false` leaves it out. Default: version 1.0, encoding utf-8. */
  readonly declaration?: { readonly encoding?: string; readonly standalone?: 'yes' | 'no' } | false;
  /** Line break between elements. Default CRLF, as .NET's XmlWriter writes on Windows where CMIS runs. */
  readonly newline?: string;
  /** Indentation per level. Default two spaces, as DataSet.WriteXml indents. */
  readonly indent?: string;
}

const NAME_RE = /^[A-Za-z_:\u00C0-\uFFFD][A-Za-z0-9_:.\-\u00B7\u00C0-\uFFFD]*$/;

/**
 * Anything outside XML 1.0's Char production (§2.2), lone surrogates included (the `u` flag makes an
 * unpaired surrogate a code point of its own, outside every range below). One regex test per value: the
 * export writes millions of cells and nearly all of them are plain.
 */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

function checkChars(value: string, what: string): void {
  const bad = NOT_XML_CHAR.exec(value);
  if (bad === null) return;
  const cp = bad[0].codePointAt(0) as number;
  throw new CmisError('CMIS_XML_UNWRITABLE', `${what}: character U+${cp.toString(16).toUpperCase().padStart(4, '0')} cannot be written in XML 1.0`);
}

/** Names repeat (the same 40 columns on every row): each is checked once. */
const checkedNames = new Set<string>();

export function checkXmlName(name: string): void {
  checkName(name);
}

function checkName(name: string): void {
  if (checkedNames.has(name)) return;
  if (!NAME_RE.test(name)) throw new CmisError('CMIS_XML_UNWRITABLE', `"${name}" is not an XML name`);
  if (checkedNames.size < 10_000) checkedNames.add(name);
}

const TEXT_SPECIAL = /[&<>\r]/;
const ATTRIBUTE_SPECIAL = /[&<>"\t\n\r]/;

/**
 * Plain text: nothing to escape and nothing outside XML 1.0's Char (surrogates are sent to the exact check,
 * which accepts them when paired). One test per cell, the common case for millions of cells.
 */
const PLAIN_TEXT = /^[\t\n\u0020-\u0025\u0027-\u003B\u003D\u003F-\uD7FF\uE000-\uFFFD]*$/;

/** `\r` becomes a character reference so that a reader's line-end normalisation (§2.11) gives it back. */
export function escapeText(text: string, what = 'text'): string {
  if (PLAIN_TEXT.test(text)) return text;
  checkChars(text, what);
  if (!TEXT_SPECIAL.test(text)) return text;
  return text.replace(/[&<>\r]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&#xD;'));
}

/** Tabs and line breaks are references, or attribute-value normalisation (§3.3.3) would turn them into spaces. */
export function escapeAttribute(value: string, what = 'attribute'): string {
  checkChars(value, what);
  if (!ATTRIBUTE_SPECIAL.test(value)) return value;
  return value.replace(/[&<>"\t\n\r]/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`,
  );
}

/**
 * Writes an element tree deterministically: same tree → same string. Elements holding only elements
 * (white-space text between them is layout and is dropped) are indented one per line; elements holding
 * text are written on one line, `<X>text</X>`; empty ones as `<X />`, the way DataSet.WriteXml writes an
 * empty string. Mixed content is written inline so that no white space is added to it. No trailing newline
 * (XmlWriter writes none).
 */
export function writeXml(root: XmlElement, options: WriteXmlOptions = {}): string {
  const nl = options.newline ?? '\r\n';
  const indent = options.indent ?? '  ';
  // Plain string concatenation: V8 builds a rope and flattens it once, with none of the per-piece array
  // slots a push/join costs over a 6 MB book.
  let out = '';
  if (options.declaration !== false) {
    const d = options.declaration ?? {};
    out += `<?xml version="1.0" encoding="${d.encoding ?? 'utf-8'}"${d.standalone ? ` standalone="${d.standalone}"` : ''}?>` + nl;
  }
  const pads: string[] = [];
  const padOf = (depth: number): string => (pads[depth] ??= indent.repeat(depth));
  const writeElement = (el: XmlElement, depth: number): void => {
    const pad = padOf(depth);
    const tag = openTag(el);
    if (isElementOnly(el)) {
      out += pad + tag + '>' + nl;
      for (const child of el.children) {
        if (child.kind === 'element') {
          writeElement(child, depth + 1);
          out += nl;
        }
      }
      out += pad + '</' + el.name + '>';
      return;
    }
    out += pad;
    writeInline(el, tag);
  };
  const writeInline = (el: XmlElement, tag: string): void => {
    let empty = true;
    for (const c of el.children) {
      if (c.kind === 'element' || c.text !== '') {
        empty = false;
        break;
      }
    }
    if (empty) {
      out += tag + ' />';
      return;
    }
    out += tag + '>';
    for (const child of el.children) {
      if (child.kind === 'text') {
        if (child.text !== '') out += escapeText(child.text, el.name);
      } else writeInline(child, openTag(child));
    }
    out += '</' + el.name + '>';
  };
  writeElement(root, 0);
  return out;
}

const LAYOUT = /^[ \t\r\n]*$/;

/** Holds at least one element and otherwise only white-space text (layout, dropped on writing). */
function isElementOnly(el: XmlElement): boolean {
  let hasElements = false;
  for (const c of el.children) {
    if (c.kind === 'element') hasElements = true;
    else if (!LAYOUT.test(c.text)) return false;
  }
  return hasElements;
}

function openTag(el: XmlElement): string {
  checkName(el.name);
  let tag = '<' + el.name;
  for (const a of el.attributes) {
    checkName(a.name);
    tag += ` ${a.name}="${escapeAttribute(a.value, `${el.name}/@${a.name}`)}"`;
  }
  return tag;
}

/**
 * A table (`<root><row><column>text</column>…</row>…</root>`, the .NET DataSet layout) written straight
 * from rows of [column, text] pairs, without building an element tree: the same string writeXml gives for
 * the equivalent tree (an empty text is `<X />`, a row without cells `<row />`), at a fraction of the
 * allocations. For book exports, where the tree would hold ~250 000 nodes per book.
 */
export function writeTableXml(
  rootName: string,
  rowName: string,
  rows: Iterable<readonly (readonly [string, string])[]>,
  options: WriteXmlOptions = {},
): string {
  const nl = options.newline ?? '\r\n';
  const indent = options.indent ?? '  ';
  checkName(rootName);
  checkName(rowName);
  let out = '';
  if (options.declaration !== false) {
    const d = options.declaration ?? {};
    out += `<?xml version="1.0" encoding="${d.encoding ?? 'utf-8'}"${d.standalone ? ` standalone="${d.standalone}"` : ''}?>` + nl;
  }
  const rowPad = indent;
  const cellPad = indent + indent;
  let body = '';
  for (const cells of rows) {
    if (cells.length === 0) {
      body += rowPad + '<' + rowName + ' />' + nl;
      continue;
    }
    body += rowPad + '<' + rowName + '>' + nl;
    for (const [name, value] of cells) {
      checkName(name);
      body += value === '' ? cellPad + '<' + name + ' />' + nl : cellPad + '<' + name + '>' + escapeText(value, name) + '</' + name + '>' + nl;
    }
    body += rowPad + '</' + rowName + '>' + nl;
  }
  out += body === '' ? '<' + rootName + ' />' : '<' + rootName + '>' + nl + body + '</' + rootName + '>';
  return out;
}
