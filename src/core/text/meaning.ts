import { compactForMatch } from './normalize.js';

const thaiWords = new Intl.Segmenter('th', { granularity: 'word' });

/** The words of a message: Thai split at word boundaries (no spaces in Thai), others lower-cased. */
export function wordsOf(text: string): string[] {
  const out: string[] = [];
  for (const s of thaiWords.segment(text.normalize('NFC').toLowerCase().replace(/[’‘]/g, "'"))) {
    if (s.isWordLike) out.push(s.segment);
  }
  return out;
}

/**
 * True when the message negates something: one of `negations` is one of its words (Thai
 * "ยินยอมไม่ได้" → ยินยอม|ไม่|ได้) or an English word ends in n't ("don't", "can't").
 * Used so that a refusal never picks a positive answer.
 */
export function isNegated(text: string, negations: readonly string[]): boolean {
  const words = wordsOf(text);
  const neg = new Set(negations.map((n) => n.toLowerCase().replace(/[’‘]/g, "'")));
  return words.some((w, i) => neg.has(w) || /n't$/.test(w) || (w === 'n' && words[i + 1] === 't'));
}

/** The whole message is one of `phrases`, ignoring spacing, punctuation, case and a polite ending. */
export function isPhrase(text: string, phrases: readonly string[], politeEndings: readonly string[] = []): boolean {
  let c = compactForMatch(text);
  for (const ending of politeEndings) {
    const e = compactForMatch(ending);
    if (c.length > e.length && c.endsWith(e)) {
      c = c.slice(0, -e.length);
      break;
    }
  }
  return c.length > 0 && phrases.some((p) => compactForMatch(p) === c);
}
