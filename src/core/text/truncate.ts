/**
 * Cuts text to at most `max` user-perceived characters (grapheme clusters), never inside one:
 * a Thai consonant keeps its vowel and tone marks, an emoji keeps its modifiers and joiners.
 * The one truncation helper of the project (input cut before matching, labels cut to LINE's limits).
 */
const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

export function truncateGraphemes(text: string, max: number, ellipsis = ''): string {
  if (max <= 0) return '';
  // Fast path: a string with no more UTF-16 units than `max` has no more graphemes either.
  if (text.length <= max) return text;
  const room = ellipsis ? Math.max(0, max - graphemeCount(ellipsis)) : max;
  let kept = '';
  let n = 0;
  // Stops after max + 1 graphemes: a 100,000-character message costs no more than a short one.
  for (const { segment } of segmenter.segment(text)) {
    n++;
    if (n > max) return kept + ellipsis;
    if (n <= room) kept += segment;
  }
  return text; // had at most `max` graphemes after all
}

export function graphemeCount(text: string): number {
  let n = 0;
  for (const _ of segmenter.segment(text)) n++;
  return n;
}
