const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * Cuts `text` to at most `max` UTF-16 code units (what LINE counts in its length limits), ending
 * with "…" when cut, and only between grapheme clusters: a Thai vowel or tone mark stays with its
 * consonant ("น้ำ" is never split), an emoji or flag stays whole. A plain slice would leave a
 * dangling mark or half a surrogate pair, which LINE shows as garbage or rejects.
 */
export function truncateGraphemes(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 0) return '';
  const budget = max - 1; // room for "…"
  let out = '';
  for (const { segment } of graphemes.segment(text)) {
    if (out.length + segment.length > budget) break;
    out += segment;
  }
  return `${out}…`;
}
