import type { Models } from '../../../src/core/db/models.js';
import { runAdmin } from '../../../src/cli/admin.js';
import type { ProducerStore } from '../../../src/features/producers/producer-store.js';

export const PLACES = {
  maeRim: { province: { code: '50', nameTh: 'เชียงใหม่', nameEn: 'Chiang Mai' }, district: { code: '5007', nameTh: 'แม่ริม', nameEn: 'Mae Rim' } },
  chomThong: { province: { code: '50', nameTh: 'เชียงใหม่', nameEn: 'Chiang Mai' }, district: { code: '5002', nameTh: 'จอมทอง', nameEn: 'Chom Thong' } },
  banThi: { province: { code: '51', nameTh: 'ลำพูน', nameEn: 'Lamphun' }, district: { code: '5107', nameTh: 'บ้านธิ', nameEn: 'Ban Thi' } },
} as const;

export type PlaceName = keyof typeof PLACES;

/** A registered producer (written through the producer store, as registration does). */
export async function addProducer(producers: ProducerStore, userId: string, place: PlaceName, fullName: string, now = new Date()) {
  const p = PLACES[place];
  await producers.save(
    userId,
    {
      fullName,
      phone: `+6681${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`,
      producerType: 'single_owner',
      address: { province: p.province, district: p.district, subdistrict: { code: `${p.district.code}01`, nameTh: 'ตำบล', nameEn: 'Subdistrict' } },
      category: 'food',
      products: ['น้ำพริก'],
      shops: [],
    },
    { registration: true, notices: true, sharing: false },
    'v1',
    now,
  );
}

/** Runs `npm run admin -- ...` in-process against these models; returns exit code and output. */
export async function admin(models: Models, argv: string[], now = () => new Date()): Promise<{ code: number; out: string[] }> {
  const out: string[] = [];
  const code = await runAdmin(argv, { models, env: {}, now, out: (l) => out.push(l) });
  return { code, out };
}

export function inviteCode(out: string[]): string {
  const line = out.find((l) => l.startsWith('invite code: '));
  if (!line) throw new Error(`no invite code in: ${out.join('\n')}`);
  return line.slice('invite code: '.length);
}

export function officerId(out: string[]): string {
  return /officer (ofc_[0-9a-f]+)/.exec(out.join('\n'))![1]!;
}
