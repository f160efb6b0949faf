import { describe, expect, it } from 'vitest';
import { truncateGraphemes } from '../../src/core/text/truncate.js';

describe('truncateGraphemes', () => {
  it('when a text fits, then it is unchanged', () => {
    expect(truncateGraphemes('ลงทะเบียน OTOP', 20)).toBe('ลงทะเบียน OTOP');
  });

  it('when Thai text is cut, then no vowel or tone mark is left without its consonant and it fits LINE\'s count', () => {
    const label = 'น้ำพริกเผาสูตรคุณยายน้ำใจดี';
    const cut = truncateGraphemes(label, 20);
    expect(cut.length).toBeLessThanOrEqual(20);
    expect(cut.endsWith('…')).toBe(true);
    expect(label.startsWith(cut.slice(0, -1))).toBe(true);
    // The cut falls between graphemes: what remains re-segments to the same clusters.
    const next = label.slice(cut.length - 1, cut.length);
    expect(/[\u0E31\u0E34-\u0E3A\u0E47-\u0E4E]/.test(next)).toBe(false);
  });

  it('when an emoji would be split, then it is dropped whole', () => {
    const cut = truncateGraphemes('ab👍🏽cd', 4);
    expect(cut).toBe('ab…');
  });
});
