const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * Cuts `text` to at most `max` user-perceived characters (grapheme clusters), ending with "…"
 * when cut. Thai vowels and tone marks, emoji and flags stay whole: a plain slice would split
 * "น้ำ" after the consonant or halve a surrogate pair, which LINE then renders as garbage.
 */
export function truncateGraphemes(text: string, max: number): string {
  if (max <= 0) return '';
  const parts: string[] = [];
  for (const { segment } of graphemes.segment(text)) {
    parts.push(segment);
    if (parts.length > max) break;
  }
  if (parts.length <= max) return text;
  return `${parts.slice(0, max - 1).join('')}…`;
}
