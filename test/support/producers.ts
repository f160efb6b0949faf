import type { ProducerProfile, ProducerStore } from '../../src/features/producers/producer-store.js';

/** A valid profile (Mae Rim, Chiang Mai) for tests that need a registered producer without the chat. */
export const sampleProfile = (over: Partial<ProducerProfile> = {}): ProducerProfile => ({
  fullName: 'สมศรี ใจดี',
  phone: '+66812345678',
  producerType: 'single_owner',
  address: {
    province: { code: '50', nameTh: 'เชียงใหม่', nameEn: 'Chiang Mai' },
    district: { code: '5007', nameTh: 'แม่ริม', nameEn: 'Mae Rim' },
    subdistrict: { code: '500701', nameTh: 'ริมใต้', nameEn: 'Rim Tai' },
    postcode: '50180',
  },
  category: 'food',
  products: ['น้ำพริกเผา'],
  shops: [],
  ...over,
});

/** Stores a registered producer (registration consent given) for `userId`. */
export async function saveRegistered(producers: ProducerStore, userId: string): Promise<void> {
  await producers.save(userId, sampleProfile(), { registration: true, notices: false, sharing: false }, 'test', new Date());
}
