const segmenter = new Intl.Segmenter(undefined, { granularity: "word" });

/** Longest slice handed to the segmenter at once. */
const WINDOW = 512;

/** A character after which no word continues: whitespace or punctuation. */
const BREAK_AFTER = /[\s\p{P}]/u;

export interface WordSegment {
  segment: string;
  /** Offsets into the text given to {@link wordSegments}. */
  start: number;
  end: number;
  /** A word (letters, digits, ideographs) rather than spaces or punctuation. */
  isWordLike: boolean;
}

/**
 * The Intl.Segmenter word segments of `text[from, to)`, found window by window.
 *
 * @remarks
 * V8's segment iterator gets quadratically slower with the length of the string (64 000 Chinese characters took
 * over 30 s in one go on this machine, 1 MB in windows about 2 s), so the text is segmented in slices of at most
 * 512 characters, each ending after whitespace or punctuation where a word cannot go on. Only a run of 256+
 * characters without either (a base64 blob, a Chinese paragraph with no punctuation at all) is cut at the window
 * edge, which may then split one word in two. ICU uses its dictionary for Chinese and Japanese, so this finds the
 * words of text written without spaces.
 */
export function* wordSegments(text: string, from = 0, to = text.length): Generator<WordSegment> {
  let start = from;
  while (start < to) {
    let end = Math.min(to, start + WINDOW);
    if (end < to) {
      let k = end;
      while (k > start + WINDOW / 2 && !BREAK_AFTER.test(text[k - 1])) k--;
      if (k > start + WINDOW / 2) end = k;
      else if (/[\uD800-\uDBFF]/.test(text[end - 1])) end--; // never between the halves of a surrogate pair
    }
    for (const { segment, index, isWordLike } of segmenter.segment(text.slice(start, end))) {
      yield { segment, start: start + index, end: start + index + segment.length, isWordLike: isWordLike ?? false };
    }
    start = end;
  }
}
