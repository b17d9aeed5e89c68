import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readXml, writeXml, xmlElement, xmlText, textOf, type XmlElement } from './xml.js';
import { CmisError, isCmisError } from './errors.js';

function failure(f: () => unknown): CmisError {
  try {
    f();
  } catch (e) {
    if (e instanceof CmisError) return e;
    throw new Error(`expected a CmisError, got ${String(e)}`);
  }
  throw new Error('expected a CmisError, nothing was thrown');
}

const child = (el: XmlElement, i: number): XmlElement => el.children.filter((c) => c.kind === 'element')[i] as XmlElement;

describe('readXml', () => {
  it('reads elements, attributes, entities, character references, CDATA, comments and PIs', () => {
    const doc = readXml(
      '<?xml version="1.0" encoding="utf-8"?>\r\n<!-- c --><?app x?>\r\n<a k="1 &amp; 2" q=\'&quot;x&apos;\'>' +
        '<b>T&amp;C &lt;ok&gt; &#7879;&#x1EC7;</b><c><![CDATA[<raw> & ]]></c><d/><?pi data?><!-- inside --></a>\r\n<!-- after -->',
    );
    expect(doc.declaration).toEqual({ version: '1.0', encoding: 'utf-8' });
    expect(doc.root.name).toBe('a');
    expect(doc.root.attributes).toEqual([
      { name: 'k', value: '1 & 2' },
      { name: 'q', value: '"x\'' },
    ]);
    expect(textOf(child(doc.root, 0))).toBe('T&C <ok> ệệ');
    expect(textOf(child(doc.root, 1))).toBe('<raw> & ');
    expect(child(doc.root, 2)).toMatchObject({ name: 'd', children: [], line: 3 });
  });

  it('normalises CRLF to LF in text, and tabs/newlines in attribute values to spaces', () => {
    const doc = readXml('<a t="x\ty\r\nz"><b>1\r\n2\r3</b></a>');
    expect(doc.root.attributes[0]?.value).toBe('x y z');
    expect(textOf(child(doc.root, 0))).toBe('1\n2\n3');
  });

  it('decodes UTF-8 Vietnamese text and element positions', () => {
    const doc = readXml(new TextEncoder().encode('<r>\n  <TEN_KHANG>Nguyễn Thị Ánh</TEN_KHANG>\n</r>'));
    expect(textOf(child(doc.root, 0))).toBe('Nguyễn Thị Ánh');
    expect(child(doc.root, 0)).toMatchObject({ line: 2, column: 3 });
  });

  it('decodes UTF-16 LE and BE with a BOM, and a UTF-8 BOM', () => {
    const text = '<?xml version="1.0" encoding="utf-16"?><r>Đặng Quốc Bảo</r>';
    const le = new Uint8Array(2 + text.length * 2);
    const be = new Uint8Array(2 + text.length * 2);
    le.set([0xff, 0xfe]);
    be.set([0xfe, 0xff]);
    for (let i = 0; i < text.length; i++) {
      const u = text.charCodeAt(i);
      le[2 + 2 * i] = u & 0xff;
      le[3 + 2 * i] = u >> 8;
      be[2 + 2 * i] = u >> 8;
      be[3 + 2 * i] = u & 0xff;
    }
    expect(textOf(readXml(le).root)).toBe('Đặng Quốc Bảo');
    expect(textOf(readXml(be).root)).toBe('Đặng Quốc Bảo');
    const utf8Bom = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('<r>ơ</r>')]);
    expect(textOf(readXml(utf8Bom).root)).toBe('ơ');
    expect(textOf(readXml('\uFEFF<r>ư</r>').root)).toBe('ư');
  });

  it('skips a subtree on request but still checks it is well-formed', () => {
    const doc = readXml('<ds><xs:schema><xs:element name="A"/></xs:schema><row/></ds>', { skipElement: (n) => n === 'xs:schema' });
    expect(doc.root.children.map((c) => (c.kind === 'element' ? c.name : '#text'))).toEqual(['row']);
    expect(() => readXml('<ds><xs:schema><xs:element></xs:schema></ds>', { skipElement: (n) => n === 'xs:schema' })).toThrow(CmisError);
  });
});

describe('readXml refuses hostile or broken input, naming line and column', () => {
  it('refuses a DOCTYPE (billion laughs / XXE) with its own code', () => {
    const e = failure(() =>
      readXml('<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>\n<lolz>&lol2;</lolz>', { source: 'evil.xml' }),
    );
    expect(e.code).toBe('CMIS_XML_DOCTYPE');
    expect(e.context).toMatchObject({ file: 'evil.xml', line: 2, column: 1 });
    expect(e.message).toMatch(/^evil\.xml: line 2, column 1: <!DOCTYPE is refused/);
    expect(failure(() => readXml('<!DOCTYPE r SYSTEM "file:///etc/passwd"><r/>')).code).toBe('CMIS_XML_DOCTYPE');
  });

  it('names an unclosed tag and where it was opened', () => {
    const e = failure(() => readXml('<a>\n  <b>text\n</a>'));
    expect(e.code).toBe('CMIS_XML_SYNTAX');
    expect(e.message).toContain('line 3, column 1: </a> does not close <b> opened at line 2, column 3');
    const e2 = failure(() => readXml('<a>\n<b>'));
    expect(e2.message).toContain('<b> opened at line 2, column 1 is not closed');
  });

  it('names an unknown entity and a bare ampersand', () => {
    const e = failure(() => readXml('<r>\n  <x>Minh &nbsp; Con</x>\n</r>'));
    expect(e.code).toBe('CMIS_XML_SYNTAX');
    expect(e.context).toMatchObject({ line: 2, column: 11 });
    expect(e.message).toContain('unknown entity &nbsp;');
    expect(failure(() => readXml('<r>Minh & Con</r>')).context).toMatchObject({ line: 1, column: 9 });
    expect(failure(() => readXml('<r>&#0;</r>')).message).toContain('not a valid XML character');
    expect(failure(() => readXml('<r>&#xD800;</r>')).code).toBe('CMIS_XML_SYNTAX');
  });

  it('refuses bytes that are not UTF-8 (a legacy Vietnamese code page), naming the position', () => {
    // "Bùi" in Windows-1258: ù is 0xF9, which UTF-8 never allows there.
    const bytes = new Uint8Array([...new TextEncoder().encode('<r>\n<n>B'), 0xf9, 0x69, ...new TextEncoder().encode('</n></r>')]);
    const e = failure(() => readXml(bytes, { source: 'D1-2017-7-1.xml' }));
    expect(e.code).toBe('CMIS_XML_ENCODING');
    expect(e.context).toMatchObject({ file: 'D1-2017-7-1.xml', line: 2, column: 5 });
    expect(e.message).toContain('0xf9');
  });

  it('refuses an unsupported declared encoding and a declaration that contradicts the bytes', () => {
    const e = failure(() => readXml('<?xml version="1.0" encoding="windows-1258"?><r/>'));
    expect(e.code).toBe('CMIS_XML_ENCODING');
    expect(e.context).toMatchObject({ line: 1, column: 31 });
    const e2 = failure(() => readXml(new TextEncoder().encode('<?xml version="1.0" encoding="utf-16"?><r/>')));
    expect(e2.code).toBe('CMIS_XML_ENCODING');
    expect(e2.message).toContain('bytes are UTF-8');
    // As a string the text is already decoded: a utf-16 declaration (what .NET writes to a StringWriter) is fine.
    expect(readXml('<?xml version="1.0" encoding="utf-16"?><r/>').root.name).toBe('r');
  });

  it.each([
    ['', 'no root element'],
    ['<a></a><b/>', 'content after the root element'],
    ['text<a/>', 'text before the root element'],
    ['<a b="1" b="2"/>', 'appears twice'],
    ['<a b=1/>', 'must be quoted'],
    ['<a><!-- x -- y --></a>', '"--" is not allowed'],
    ['<a><![CDATA[x</a>', 'CDATA section not closed'],
    ['<a>]]></a>', '"]]>" is not allowed'],
    ['<a>\u0001</a>', 'U+0001'],
    ['<a><?xml version="1.0"?></a>', 'only allowed at the very start'],
    ['<a b="<"/>', '"<" is not allowed'],
    ['<1a/>', 'expected an element name'],
    ['<a', 'not closed'],
  ])('%j → %s', (xml, message) => {
    const e = failure(() => readXml(xml));
    expect(e.code).toBe('CMIS_XML_SYNTAX');
    expect(e.message).toContain(message);
    expect(e.message).toMatch(/line \d+, column \d+/);
  });

  it('refuses nesting deeper than maxDepth without blowing the stack', () => {
    const deep = '<a>'.repeat(100_000) + '</a>'.repeat(100_000);
    expect(failure(() => readXml(deep)).message).toContain('nested deeper than 64');
    expect(readXml('<a><a><a/></a></a>', { maxDepth: 3 }).root.name).toBe('a');
  });

  it('random text or bytes give a tree or a CmisError, never anything else', () => {
    const pieces = fc.constantFrom('<a>', '</a>', '<b x="1">', '</b>', '&amp;', '&', '<!--', '-->', '<![CDATA[', ']]>', '<?p ?>', 'ệ', ' ', '\r\n', '<!DOCTYPE', '"', '/>', '<');
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 30 }), (parts) => {
        try {
          readXml(parts.join(''));
        } catch (e) {
          expect(isCmisError(e)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          readXml(bytes);
        } catch (e) {
          expect(isCmisError(e)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('writeXml', () => {
  it('writes the .NET DataSet layout: declaration, CRLF, two-space indent, <X /> for empty', () => {
    const xml = writeXml(xmlElement('NewDataSet', [xmlElement('Table1', [xmlElement('A', [xmlText('1 & <2>')]), xmlElement('B')])]), {
      declaration: { encoding: 'utf-8', standalone: 'yes' },
    });
    expect(xml).toBe(
      '<?xml version="1.0" encoding="utf-8" standalone="yes"?>\r\n<NewDataSet>\r\n  <Table1>\r\n    <A>1 &amp; &lt;2&gt;</A>\r\n    <B />\r\n  </Table1>\r\n</NewDataSet>',
    );
  });

  it('refuses characters XML 1.0 cannot carry', () => {
    expect(failure(() => writeXml(xmlElement('a', [xmlText('x\u0000')]))).code).toBe('CMIS_XML_UNWRITABLE');
    expect(failure(() => writeXml(xmlElement('1a'))).code).toBe('CMIS_XML_UNWRITABLE');
  });

  it('round-trips any text and attribute value exactly (CR, tabs, quotes, markup, Vietnamese)', () => {
    const xmlString = fc
      .string({ unit: fc.oneof(fc.constantFrom('&', '<', '>', '"', "'", '\r', '\n', '\t', ' ', ']]>', 'ữ', '𝄞'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })) })
      .filter((s) => !/[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s));
    fc.assert(
      fc.property(xmlString, xmlString, (text, attr) => {
        const xml = writeXml(xmlElement('r', [xmlElement('t', [xmlText(text)], [{ name: 'a', value: attr }])]));
        const t = child(readXml(xml).root, 0);
        expect(textOf(t)).toBe(text);
        expect(t.attributes[0]?.value).toBe(attr);
      }),
      { numRuns: 300 },
    );
  });
});
