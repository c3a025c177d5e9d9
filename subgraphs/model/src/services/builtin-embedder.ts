import { isCjk, words } from "./text.js";

/** The vector length of `builtin-embedder`. */
export const BUILTIN_EMBEDDING_DIMENSIONS = 384;

// Feature weights: whole words carry the meaning, bigrams the phrasing, character 3-grams tolerate
// inflections and typos ("database" ~ "databases").
const UNIGRAM_WEIGHT = 1;
const BIGRAM_WEIGHT = 0.7;
const TRIGRAM_WEIGHT = 0.4;

/**
 * Embeds `text` with the built-in embedder: signed feature hashing of word unigrams, word bigrams and character
 * 3-grams into {@link BUILTIN_EMBEDDING_DIMENSIONS} dimensions, L2-normalised.
 *
 * @remarks Deterministic and dependency-free, so knowledge bases work offline; texts that share words get a
 * higher cosine similarity than unrelated ones. CJK characters count as words, so Chinese or Japanese text gets
 * character unigrams and bigrams (the usual features for unsegmented scripts). A sign bit per feature keeps hash
 * collisions from adding up in one direction. It is not a semantic model: synonyms do not match.
 */
export function embedText(text: string, dimensions = BUILTIN_EMBEDDING_DIMENSIONS): number[] {
  const vector = new Float64Array(dimensions);
  const add = (feature: string, weight: number) => {
    const h = fmix32(fnv1a(feature));
    const sign = fmix32(h ^ 0x9e3779b9) & 1 ? -1 : 1;
    vector[h % dimensions]! += sign * weight;
  };

  const list = words(text);
  for (let i = 0; i < list.length; i++) {
    const word = list[i]!;
    add(`w:${word}`, UNIGRAM_WEIGHT);
    const next = list[i + 1];
    if (next !== undefined) add(`b:${word} ${next}`, BIGRAM_WEIGHT);
    // Character 3-grams only for spaced scripts: a CJK "word" is one character, already covered above.
    if (!isCjk(word)) {
      const padded = `<${word}>`;
      for (let j = 0; j + 3 <= padded.length; j++) add(`c:${padded.slice(j, j + 3)}`, TRIGRAM_WEIGHT);
    }
  }
  // Text without any letter or digit (only symbols) still gets a stable, non-zero vector from its characters.
  if (list.length === 0) {
    const chars = [...text.trim()];
    for (let j = 0; j < chars.length; j++) add(`s:${chars.slice(j, j + 3).join("")}`, TRIGRAM_WEIGHT);
  }

  let norm = 0;
  for (const v of vector) norm += v * v;
  norm = Math.sqrt(norm);
  return Array.from(vector, (v) => (norm > 0 ? v / norm : 0));
}

/** Cosine similarity of two vectors of the same length. */
export function cosineSimilarity(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}

/** 32-bit FNV-1a over the UTF-16 code units of `s`. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** MurmurHash3's finaliser: spreads FNV's weak low bits over the whole word before taking `% dimensions`. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
