import { describe, expect, it } from 'vitest';
import {
  asciiDigitsToThai,
  compactForMatch,
  editDistance,
  normalizeInput,
  normalizeMultiline,
  similarity,
  stripThaiPrefixes,
  thaiDigitsToAscii,
  thaiSkeleton,
} from '../../src/core/text/normalize.js';

describe('thaiDigitsToAscii', () => {
  it('when given Thai digits, then returns ASCII digits and leaves other text alone', () => {
    expect(thaiDigitsToAscii('๐๘๑-๒๓๔-๕๖๗๘ คน')).toBe('081-234-5678 คน');
  });
  it('when converting back, then asciiDigitsToThai round-trips', () => {
    expect(asciiDigitsToThai('5 มีนาคม 2567')).toBe('๕ มีนาคม ๒๕๖๗');
  });
});

describe('normalizeInput', () => {
  it('when text has full-width forms, then NFKC makes them ASCII', () => {
    expect(normalizeInput('０８１－２３４ＡＢ＠')).toBe('081-234AB@');
  });
  it('when text has NBSP, zero-width spaces, tabs and newlines, then they collapse to single spaces and trim', () => {
    expect(normalizeInput('\u00A0 สมศรี\u200B\u200B  \t ใจดี\n\u3000')).toBe('สมศรี ใจดี');
  });
  it('when text contains SARA AM, then it survives NFKC (so names still match the data)', () => {
    expect(normalizeInput('ลำปาง')).toBe('ลำปาง');
    expect(normalizeInput('ล\u0E4D\u0E32ปาง')).toBe('ลำปาง');
  });
  it('when a tone mark is typed after SARA AM, then it is moved before it', () => {
    expect(normalizeInput('น\u0E33\u0E49')).toBe('น\u0E49\u0E33');
  });
  it('when SARA E is typed twice for SARA AE, then it becomes แ', () => {
    expect(normalizeInput('\u0E40\u0E40ม่ริม')).toBe('แม่ริม');
  });
  it('when a tone mark is doubled by a double tap, then one is kept', () => {
    expect(normalizeInput('แม่่ริม')).toBe('แม่ริม');
  });
  it('when text has en dashes or a minus sign, then they become hyphens', () => {
    expect(normalizeInput('081–234−5678')).toBe('081-234-5678');
  });
  it('when multiline text is normalised, then line breaks stay but spaces collapse', () => {
    expect(normalizeMultiline('  บรรทัด  แรก \r\n\n\n\nบรรทัด๒ ')).toBe('บรรทัด แรก\n\nบรรทัด2');
  });
});

describe('compactForMatch', () => {
  it('when Thai words are split by a space or followed by punctuation, then both give the same key', () => {
    expect(compactForMatch('ยก เลิก')).toBe('ยกเลิก');
    expect(compactForMatch('ยกเลิก!')).toBe('ยกเลิก');
    expect(compactForMatch('  ยก-เลิก ค่ะ ')).toBe('ยกเลิกค่ะ');
  });
  it('when Latin text differs in case and spacing, then keys are equal', () => {
    expect(compactForMatch('Chiang Mai')).toBe(compactForMatch('chiangmai'));
  });
  it('when Thai has the abbreviation mark ฯ, then it is dropped', () => {
    expect(compactForMatch('กรุงเทพฯ')).toBe('กรุงเทพ');
  });
});

describe('thaiSkeleton', () => {
  it('when tone marks are missing or ใ/ไ is swapped, then skeletons are equal', () => {
    expect(thaiSkeleton('เชียงไหม')).toBe(thaiSkeleton('เชียงใหม่'));
    expect(thaiSkeleton('ขอนแกน')).toBe(thaiSkeleton('ขอนแก่น'));
  });
});

describe('editDistance and similarity', () => {
  it('when strings are equal, then the distance is 0 and similarity 1', () => {
    expect(editDistance('เชียงใหม่', 'เชียงใหม่')).toBe(0);
    expect(similarity('', '')).toBe(1);
  });
  it('when one Thai vowel is wrong, then the distance is 1 (counted on code points)', () => {
    expect(editDistance('เชียงไหม่', 'เชียงใหม่')).toBe(1);
    expect(similarity('เชียงไหม่', 'เชียงใหม่')).toBeCloseTo(1 - 1 / 9);
  });
  it('when classic examples are compared, then Levenshtein values are right', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('abc', '')).toBe(3);
    expect(similarity('abc', 'xyz')).toBe(0);
  });
  it('when astral characters are compared, then each counts as one', () => {
    expect(editDistance('😀a', '😃a')).toBe(1);
  });
});

describe('stripThaiPrefixes', () => {
  it.each([
    ['จังหวัดเชียงใหม่', 'เชียงใหม่'],
    ['จ.เชียงใหม่', 'เชียงใหม่'],
    ['จ. เชียงใหม่', 'เชียงใหม่'],
    ['อำเภอแม่ริม', 'แม่ริม'],
    ['อ.แม่ริม', 'แม่ริม'],
    ['กิ่งอำเภอดอยหล่อ', 'ดอยหล่อ'],
    ['เขตบางรัก', 'บางรัก'],
    ['ตำบลศรีภูมิ', 'ศรีภูมิ'],
    ['ต.ศรีภูมิ', 'ศรีภูมิ'],
    ['แขวงลุมพินี', 'ลุมพินี'],
    ['Changwat Chiang Mai', 'Chiang Mai'],
    ['Amphoe Mae Rim', 'Mae Rim'],
    ['Chiang Mai Province', 'Chiang Mai'],
    ['Mueang District', 'Mueang'],
    ['province: Phuket', 'Phuket'],
    ['จ. จังหวัดเชียงใหม่', 'เชียงใหม่'],
  ])('when given "%s", then returns "%s"', (input, expected) => {
    expect(stripThaiPrefixes(input)).toBe(expected);
  });
  it('when the prefix is the whole input, then it is kept rather than emptied', () => {
    expect(stripThaiPrefixes('เขต')).toBe('เขต');
  });
  it('when a name merely starts with the same letter, then nothing is stripped', () => {
    expect(stripThaiPrefixes('จันทบุรี')).toBe('จันทบุรี');
    expect(stripThaiPrefixes('อุบลราชธานี')).toBe('อุบลราชธานี');
  });
});
