// Pretty-printing of small XML documents (the UPO) for reading; never used to re-serialise data.

/** Upper bound on the input we indent; larger documents are shown as received. */
export const PRETTY_XML_BYTES_MAX = 2_000_000;

/** Indents XML by element nesting; text-only elements stay on one line. */
export function prettyXml(xml: string, indent = '  '): string {
  if (xml.length > PRETTY_XML_BYTES_MAX) return xml;
  const tokens = xml
    .replace(/>\s+</g, '><')
    .split(/(?=<)|(?<=>)/)
    .filter((s) => s.length > 0);
  const lines: string[] = [];
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] ?? '';
    if (token.startsWith('</')) {
      depth = Math.max(0, depth - 1);
      lines.push(indent.repeat(depth) + token);
    } else if (token.startsWith('<?') || token.startsWith('<!') || token.endsWith('/>')) {
      lines.push(indent.repeat(depth) + token);
    } else if (token.startsWith('<')) {
      const text = tokens[i + 1];
      const close = tokens[i + 2];
      if (text !== undefined && !text.startsWith('<') && close?.startsWith('</')) {
        lines.push(indent.repeat(depth) + token + text + close);
        i += 2;
      } else {
        lines.push(indent.repeat(depth) + token);
        depth += 1;
      }
    } else {
      lines.push(indent.repeat(depth) + token.trim());
    }
  }
  return lines.join('\n');
}
