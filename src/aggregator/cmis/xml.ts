/**
 * A small, strict XML 1.0 reader and writer for the subset CMIS book files use: elements, attributes,
 * text, the five predefined entities and character references, CDATA, comments and processing
 * instructions. No DTD at all (`<!DOCTYPE` is refused: no entity expansion, no external entities), no
 * namespace processing (qualified names are kept as written, e.g. `xs:schema`). Every error is a
 * `CmisError` naming line and column.
 */
export interface XmlAttribute {
  readonly name: string;
  readonly value: string;
}

export interface XmlElement {
  readonly kind: 'element';
  readonly name: string;
  readonly attributes: readonly XmlAttribute[];
  readonly children: readonly XmlNode[];
  /** Where the element's `<` is in the source (1-based), when it was read from one. */
  readonly line?: number;
  readonly column?: number;
}

export interface XmlText {
  readonly kind: 'text';
  readonly text: string;
  readonly line?: number;
  readonly column?: number;
}

export type XmlNode = XmlElement | XmlText;

export interface XmlDeclaration {
  readonly version: string;
  readonly encoding?: string;
  readonly standalone?: 'yes' | 'no';
}

export interface XmlDocument {
  readonly declaration?: XmlDeclaration;
  readonly root: XmlElement;
}

export function xmlElement(name: string, children: readonly XmlNode[] = [], attributes: readonly XmlAttribute[] = []): XmlElement {
  return { kind: 'element', name, attributes, children };
}

export function xmlText(text: string): XmlText {
  return { kind: 'text', text };
}

/** The concatenated text directly inside an element (CDATA included), ignoring child elements. */
export function textOf(element: XmlElement): string {
  return element.children.map((c) => (c.kind === 'text' ? c.text : '')).join('');
}

export { readXml, type ReadXmlOptions } from './xml-read.js';
export { writeXml, type WriteXmlOptions } from './xml-write.js';
