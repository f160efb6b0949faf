import type { Models } from '../src/core/db/models.js';

/**
 * Synthetic producers for tests and the broadcast benchmark: a realistic mix of provinces
 * (the populous north-east weighted up), categories, producer types and languages (≈5 % English).
 */
const PROVINCES = [
  ['10', 'กรุงเทพมหานคร', 'Bangkok', 6],
  ['30', 'นครราชสีมา', 'Nakhon Ratchasima', 8],
  ['40', 'ขอนแก่น', 'Khon Kaen', 7],
  ['41', 'อุดรธานี', 'Udon Thani', 6],
  ['50', 'เชียงใหม่', 'Chiang Mai', 7],
  ['57', 'เชียงราย', 'Chiang Rai', 5],
  ['34', 'อุบลราชธานี', 'Ubon Ratchathani', 6],
  ['33', 'ศรีสะเกษ', 'Si Sa Ket', 5],
  ['90', 'สงขลา', 'Songkhla', 4],
  ['80', 'นครศรีธรรมราช', 'Nakhon Si Thammarat', 5],
  ['65', 'พิษณุโลก', 'Phitsanulok', 3],
  ['20', 'ชลบุรี', 'Chon Buri', 3],
  ['83', 'ภูเก็ต', 'Phuket', 1],
  ['58', 'แม่ฮ่องสอน', 'Mae Hong Son', 1],
] as const;
const CATEGORIES = ['food', 'food', 'food', 'beverage', 'textile', 'textile', 'craft', 'craft', 'herbal'] as const;
const TYPES = ['community_group', 'community_group', 'single_owner', 'single_owner', 'single_owner', 'sme'] as const;

const weighted = PROVINCES.flatMap((p) => Array.from({ length: p[3] }, () => p));

export const syntheticUserId = (i: number) => `U${i.toString(16).padStart(32, '0')}`;

/** Deterministic pseudo-random mix (same data every run). */
function rnd(i: number, salt: number): number {
  let x = (i + 1) * 2654435761 + salt * 40503;
  x = (x ^ (x >>> 13)) * 1274126177;
  return ((x ^ (x >>> 16)) >>> 0) / 0x1_0000_0000;
}

export interface SyntheticOptions {
  from?: number;
  count: number;
  /** Share with notices consent (default 1: everyone). */
  consentShare?: number;
  englishShare?: number;
  now?: Date;
}

export async function seedSyntheticProducers(models: Models, opts: SyntheticOptions): Promise<{ producers: number; english: number }> {
  const from = opts.from ?? 0;
  const now = opts.now ?? new Date();
  const chunk = 1_000;
  let english = 0;
  for (let start = from; start < from + opts.count; start += chunk) {
    const producers: Record<string, unknown>[] = [];
    const sessions: Record<string, unknown>[] = [];
    for (let i = start; i < Math.min(from + opts.count, start + chunk); i++) {
      const userId = syntheticUserId(i);
      const [code, th, en] = weighted[Math.floor(rnd(i, 1) * weighted.length)]!;
      const district = `${code}${String(1 + Math.floor(rnd(i, 2) * 9)).padStart(2, '0')}`;
      producers.push({
        userId,
        fullName: `Producer ${i}`,
        phone: `+6681${String(i).padStart(7, '0')}`,
        producerType: TYPES[Math.floor(rnd(i, 3) * TYPES.length)],
        address: {
          province: { code, nameTh: th, nameEn: en },
          district: { code: district, nameTh: th, nameEn: en },
          subdistrict: { code: `${district}01`, nameTh: th, nameEn: en },
        },
        category: CATEGORIES[Math.floor(rnd(i, 4) * CATEGORIES.length)],
        products: [],
        shops: [],
        consents: { registration: true, notices: rnd(i, 5) < (opts.consentShare ?? 1), sharing: false, noticeVersion: 'v1' },
        marketplace: {},
        registeredAt: now,
        updatedAt: now,
      });
      const lang = rnd(i, 6) < (opts.englishShare ?? 0.05) ? 'en' : 'th';
      if (lang === 'en') english++;
      sessions.push({ _id: userId, lang, langChosen: true, reachable: true, flow: null, paused: {}, data: {}, lastEventAt: now, createdAt: now, updatedAt: now, rev: 0 });
    }
    await models.Producer.collection.insertMany(producers as never[], { ordered: false });
    await models.Session.collection.insertMany(sessions as never[], { ordered: false });
  }
  return { producers: opts.count, english };
}
