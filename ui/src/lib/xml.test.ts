// The UPO viewer's indentation keeps content intact while making nesting readable.

import { describe, expect, it } from 'vitest';
import { prettyXml } from './xml';

describe('prettyXml', () => {
  it('indents nested elements and keeps text-only elements on one line', () => {
    const xml = '<?xml version="1.0"?><a><b>1</b><c><d>x &amp; y</d><e/></c></a>';
    expect(prettyXml(xml).split('\n')).toEqual([
      '<?xml version="1.0"?>',
      '<a>',
      '  <b>1</b>',
      '  <c>',
      '    <d>x &amp; y</d>',
      '    <e/>',
      '  </c>',
      '</a>',
    ]);
  });

  it('loses no characters apart from whitespace between tags', () => {
    const xml = '<r><s>Zażółć gęślą jaźń</s><t a="1">2</t></r>';
    expect(prettyXml(xml).replace(/\n\s*/g, '')).toBe(xml);
  });
});
