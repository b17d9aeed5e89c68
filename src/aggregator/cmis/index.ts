/** CMIS book exchange: the XML files CMIS hands out and takes back, and their CSV twin. Pure: text/bytes in, text out. */
export { CmisError, isCmisError, type CmisErrorCode } from './errors.js';
export { CMIS_COLUMNS, REGISTER_ORDER, isCmisColumn, type CmisColumn } from './columns.js';
export { cmisBookRowSchema, parseBookRow, bookRowToRaw, type CmisBookRow, type CmisBookRowFields, type RowLocation } from './book-row.js';
export {
  parseBookXml,
  writeBookXml,
  writeBookCsv,
  bookFileName,
  parseBookFileName,
  compareBookRows,
  checksum,
  type CmisBook,
  type CmisBookFile,
} from './book-file.js';
export { readXml, writeXml, xmlElement, xmlText, textOf, type XmlDocument, type XmlElement, type XmlNode, type XmlText, type XmlAttribute, type ReadXmlOptions, type WriteXmlOptions } from './xml.js';
