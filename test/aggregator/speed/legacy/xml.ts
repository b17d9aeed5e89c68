/** The tree reader/writer as they were before the speed work (commit 1af3ced): the reference the new code must equal. */
export type { XmlAttribute, XmlElement, XmlNode, XmlText, XmlDeclaration, XmlDocument } from '../../../../src/aggregator/cmis/xml.js';
export { xmlElement, xmlText, textOf } from '../../../../src/aggregator/cmis/xml.js';
export { writeXml } from '../../../../src/aggregator/cmis/xml-write.js';
export { readXml } from './xml-read.js';
