import JSZip from "jszip";
import { PDFDocument, StandardFonts } from "pdf-lib";

/**
 * Makes a real PDF for tests: each inner array is the lines of one A4 page, drawn in Helvetica.
 * Latin text only (WinAnsi): the standard fonts cannot draw CJK characters.
 */
export async function makePdf(pages: string[][], options: { title?: string } = {}): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  if (options.title) doc.setTitle(options.title);
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (const lines of pages) {
    const page = doc.addPage([595, 842]);
    lines.forEach((line, i) => page.drawText(line, { x: 50, y: 790 - i * 18, size: 12, font }));
  }
  return doc.save();
}

/**
 * Makes a PDF that asks for a password, as an encrypted upload would: a plain PDF whose trailer names a
 * Standard security handler. pdf.js cannot derive the key from an empty password and so reports it as protected.
 */
export async function makeEncryptedPdf(): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.addPage().drawText("secret", { x: 50, y: 700 });
  const plain = Buffer.from(await doc.save({ useObjectStreams: false })).toString("latin1");
  const hex = (byte: string, length: number) => `<${byte.repeat(length)}>`;
  const id = hex("01", 16);
  const encrypt = `/Encrypt << /Filter /Standard /V 1 /R 2 /O ${hex("ab", 32)} /U ${hex("cd", 32)} /P -4 >> /ID [${id} ${id}]`;
  return new Uint8Array(Buffer.from(plain.replace(/trailer\s*<</, `trailer\n<<\n${encrypt}\n`), "latin1"));
}

const escapeXml = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

const W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";

const headingStyle = (level: 1 | 2 | 3) =>
  `<w:style w:type="paragraph" w:styleId="Heading${level}"><w:name w:val="heading ${level}"/>` +
  `<w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:pPr><w:keepNext/><w:outlineLvl w:val="${level - 1}"/></w:pPr>` +
  `<w:rPr><w:b/><w:sz w:val="${36 - level * 4}"/></w:rPr></w:style>`;

/**
 * Makes a minimal valid .docx for tests (written with jszip, the way Word lays one out): paragraphs with an
 * optional Heading 1–3 style, defined in word/styles.xml so that Word shows them and mammoth maps them to headings.
 */
export async function makeDocx(paragraphs: { text: string; heading?: 1 | 2 | 3 }[]): Promise<Uint8Array> {
  const zip = new JSZip();
  zip.file(
    "[Content_Types].xml",
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>
<Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>
</Types>`,
  );
  zip.file(
    "_rels/.rels",
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>
</Relationships>`,
  );
  zip.file(
    "word/_rels/document.xml.rels",
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>
</Relationships>`,
  );
  zip.file(
    "word/styles.xml",
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="${W}">
<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style>
${headingStyle(1)}
${headingStyle(2)}
${headingStyle(3)}
</w:styles>`,
  );
  const body = paragraphs
    .map(({ text, heading }) => {
      const style = heading ? `<w:pPr><w:pStyle w:val="Heading${heading}"/></w:pPr>` : "";
      return `<w:p>${style}<w:r><w:t xml:space="preserve">${escapeXml(text)}</w:t></w:r></w:p>`;
    })
    .join("\n");
  zip.file(
    "word/document.xml",
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="${W}">
<w:body>
${body}
<w:sectPr><w:pgSz w:w="11906" w:h="16838"/></w:sectPr>
</w:body>
</w:document>`,
  );
  return zip.generateAsync({ type: "uint8array", compression: "DEFLATE" });
}
