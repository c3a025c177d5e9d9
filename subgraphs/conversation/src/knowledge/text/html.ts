import { parse, NodeType, type HTMLElement, type Node } from "node-html-parser";

/** Elements whose content is never text a reader sees. */
const SKIP = new Set([
  "head",
  "script",
  "style",
  "noscript",
  "template",
  "svg",
  "canvas",
  "iframe",
  "object",
  "select",
  "textarea",
  "button",
]);

/** Elements that start on a line of their own. */
const BLOCK = new Set([
  "address",
  "article",
  "aside",
  "blockquote",
  "body",
  "caption",
  "center",
  "details",
  "dd",
  "div",
  "dl",
  "dt",
  "fieldset",
  "figcaption",
  "figure",
  "footer",
  "form",
  "header",
  "hr",
  "html",
  "main",
  "nav",
  "ol",
  "p",
  "section",
  "summary",
  "table",
  "tbody",
  "tfoot",
  "thead",
  "ul",
]);

const HEADING = /^h([1-6])$/;

/** Collects output text, keeping at most the line breaks asked for and no spaces at line starts. */
class TextWriter {
  private out = "";

  /** Inline text; runs of HTML whitespace become one space, as a browser shows them, unless `preformatted`. */
  text(s: string, preformatted = false): void {
    let t = preformatted ? s : s.replace(/\s+/g, " ");
    if (!preformatted && (this.out === "" || this.out.endsWith("\n"))) t = t.replace(/^ +/, "");
    this.out += t;
  }

  /** Ends the current line, or the current paragraph when `blank` (a blank line follows). */
  break(blank: boolean): void {
    if (this.out === "") return;
    this.out = this.out.replace(/ +$/, "");
    const want = blank ? "\n\n" : "\n";
    if (!this.out.endsWith(want)) this.out += this.out.endsWith("\n") ? "\n".repeat(want.length - 1) : want;
  }

  toString(): string {
    return this.out;
  }
}

const collapse = (s: string) => s.replace(/\s+/g, " ").trim();

function walk(node: Node, w: TextWriter, list: { depth: number; ordered: boolean[]; counters: number[] }): void {
  if (node.nodeType === NodeType.TEXT_NODE) {
    w.text(node.text);
    return;
  }
  if (node.nodeType !== NodeType.ELEMENT_NODE) return;
  const el = node as HTMLElement;
  const tag = el.tagName?.toLowerCase() ?? "";
  if (SKIP.has(tag)) return;
  const heading = HEADING.exec(tag);
  if (heading) {
    const title = collapse(el.text);
    if (title) {
      w.break(true);
      w.text(`${"#".repeat(Number(heading[1]))} ${title}`);
      w.break(true);
    }
    return;
  }
  const children = () => el.childNodes.forEach((child) => walk(child, w, list));
  switch (tag) {
    case "br":
      w.break(false);
      return;
    case "pre":
      // Code keeps its line breaks and indentation; the fence keeps it recognisable as code to the model.
      w.break(true);
      w.text("```\n" + el.text.replace(/^\n|\n$/g, "") + "\n```", true);
      w.break(true);
      return;
    case "ul":
    case "ol":
      w.break(list.depth === 0);
      list.depth++;
      list.ordered.push(tag === "ol");
      list.counters.push(0);
      children();
      list.depth--;
      list.ordered.pop();
      list.counters.pop();
      w.break(list.depth === 0);
      return;
    case "li": {
      w.break(false);
      const depth = Math.max(list.depth, 1);
      const counter = list.counters.length > 0 ? ++list.counters[list.counters.length - 1] : 1;
      const ordered = list.ordered[list.ordered.length - 1] ?? false;
      w.text("  ".repeat(depth - 1) + (ordered ? `${counter}. ` : "- "), true);
      children();
      w.break(false);
      return;
    }
    case "tr":
      w.break(false);
      el.childNodes
        .filter((c) => c.nodeType === NodeType.ELEMENT_NODE && /^t[dh]$/i.test((c as HTMLElement).tagName))
        .forEach((cell, i) => {
          if (i > 0) w.text(" | ", true);
          w.text(collapse(cell.text));
        });
      w.break(false);
      return;
  }
  if (BLOCK.has(tag)) {
    // Inside a list item a paragraph only starts a new line, so the item stays one block.
    w.break(list.depth === 0);
    children();
    w.break(list.depth === 0);
    return;
  }
  children();
}

/**
 * The readable text of an HTML page, with headings as Markdown `#` lines, list items as `-` / `1.` lines, table
 * rows as `a | b` lines and `<pre>` as fenced code; scripts, styles and other invisible content are dropped.
 * The title is the `<title>`, or else the first `<h1>`.
 */
export function htmlToText(html: string): { text: string; title?: string } {
  // node-html-parser keeps a doctype or XML declaration as text; neither is content.
  const markup = html.replace(/<!doctype[^>]*>|<\?xml[^>]*\?>/gi, "");
  const root = parse(markup, { comment: false, blockTextElements: { script: true, noscript: true, style: true } });
  const w = new TextWriter();
  walk(root, w, { depth: 0, ordered: [], counters: [] });
  const title = collapse(root.querySelector("title")?.text ?? "") || collapse(root.querySelector("h1")?.text ?? "");
  return title ? { text: w.toString(), title } : { text: w.toString() };
}
