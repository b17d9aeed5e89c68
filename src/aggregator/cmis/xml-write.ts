import { CmisError } from './errors.js';
import { isXmlChar } from './xml-read.js';
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

function checkChars(value: string, what: string): void {
  for (const ch of value) {
    const cp = ch.codePointAt(0) as number;
    if (!isXmlChar(cp) || (cp >= 0xd800 && cp <= 0xdfff)) {
      throw new CmisError('CMIS_XML_UNWRITABLE', `${what}: character U+${cp.toString(16).toUpperCase().padStart(4, '0')} cannot be written in XML 1.0`);
    }
  }
}

function checkName(name: string): void {
  if (!NAME_RE.test(name)) throw new CmisError('CMIS_XML_UNWRITABLE', `"${name}" is not an XML name`);
}

/** `\r` becomes a character reference so that a reader's line-end normalisation (§2.11) gives it back. */
export function escapeText(text: string, what = 'text'): string {
  checkChars(text, what);
  return text.replace(/[&<>\r]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&#xD;'));
}

/** Tabs and line breaks are references, or attribute-value normalisation (§3.3.3) would turn them into spaces. */
export function escapeAttribute(value: string, what = 'attribute'): string {
  checkChars(value, what);
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
  const out: string[] = [];
  if (options.declaration !== false) {
    const d = options.declaration ?? {};
    out.push(`<?xml version="1.0" encoding="${d.encoding ?? 'utf-8'}"${d.standalone ? ` standalone="${d.standalone}"` : ''}?>`, nl);
  }
  writeElement(root, 0, out, nl, indent);
  return out.join('');
}

function isLayout(node: XmlNode): boolean {
  return node.kind === 'text' && /^[ \t\r\n]*$/.test(node.text);
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

function writeElement(el: XmlElement, depth: number, out: string[], nl: string, indent: string): void {
  const pad = indent.repeat(depth);
  const tag = openTag(el);
  const hasElements = el.children.some((c) => c.kind === 'element');
  const elementOnly = hasElements && el.children.every((c) => c.kind === 'element' || isLayout(c));
  if (elementOnly) {
    out.push(pad, tag, '>', nl);
    for (const child of el.children) {
      if (child.kind === 'element') {
        writeElement(child, depth + 1, out, nl, indent);
        out.push(nl);
      }
    }
    out.push(pad, `</${el.name}>`);
    return;
  }
  out.push(pad);
  writeInline(el, tag, out);
}

function writeInline(el: XmlElement, tag: string, out: string[]): void {
  const content = el.children.filter((c) => !(c.kind === 'text' && c.text === ''));
  if (content.length === 0) {
    out.push(tag, ' />');
    return;
  }
  out.push(tag, '>');
  for (const child of content) {
    if (child.kind === 'text') out.push(escapeText(child.text, el.name));
    else writeInline(child, openTag(child), out);
  }
  out.push(`</${el.name}>`);
}
