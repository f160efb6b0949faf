import type { LocalizedText, TrainingTopic } from '../../core/db/schemas/training.js';

/**
 * Sample trainings for local use (`npm run seed:trainings`). Dates are relative to the day the
 * seed runs (Bangkok calendar days), so the list always looks upcoming. Venues, phone numbers and
 * links are made up; offices are real kinds of CDD offices. Province codes are the 2-digit
 * geocodes of src/domain/thai-address.ts (the seed takes the names from there).
 */
export interface SampleTraining {
  /** Stable key: the seed upserts on it, so running it again updates instead of duplicating. */
  code: string;
  title: LocalizedText;
  topic: TrainingTopic;
  mode: 'onsite' | 'online';
  provinceCode?: string;
  venue?: LocalizedText;
  onlineUrl?: string;
  /** Days from today (Bangkok) to the first day. */
  startInDays: number;
  /** Number of days (default 1). */
  days?: number;
  /** Bangkok wall-clock times, `HH:MM`. */
  startTime: string;
  endTime: string;
  capacity: number;
  /** Seats already taken when the sample is first inserted (e.g. registered by phone at the office). */
  seatsTaken?: number;
  /** Sign-up closes at 23:59 Bangkok this many days before the first day… */
  deadlineDaysBeforeStart?: number;
  /** …or this many days from today (negative: already closed). */
  deadlineInDays?: number;
  office: LocalizedText;
  contactPhone?: string;
}

const CDD: LocalizedText = { th: 'กรมการพัฒนาชุมชน', en: 'Community Development Department' };
const cddProvince = (th: string, en: string): LocalizedText => ({
  th: `สำนักงานพัฒนาชุมชนจังหวัด${th}`,
  en: `${en} Provincial Community Development Office`,
});

export const SAMPLE_TRAININGS: readonly SampleTraining[] = [
  {
    code: 'TT-2569-001',
    title: { th: 'ไลฟ์ขายของบน TikTok Shop ให้ปัง สำหรับผู้ผลิต OTOP', en: 'Live selling on TikTok Shop for OTOP producers' },
    topic: 'tiktok_shop',
    mode: 'online',
    onlineUrl: 'https://example.com/otop-training/tiktok-live',
    startInDays: 5,
    startTime: '13:30',
    endTime: '16:30',
    capacity: 300,
    deadlineDaysBeforeStart: 1,
    office: { th: 'กรมการพัฒนาชุมชน ร่วมกับ TikTok Shop ประเทศไทย', en: 'Community Development Department with TikTok Shop Thailand' },
    contactPhone: '02-141-6000',
  },
  {
    code: 'TT-2569-002',
    title: { th: 'เปิดร้าน TikTok Shop ทีละขั้น และไลฟ์ขายครั้งแรก', en: 'Open a TikTok Shop step by step and go live for the first time' },
    topic: 'tiktok_shop',
    mode: 'onsite',
    provinceCode: '50',
    venue: { th: 'ห้องประชุมศาลากลางจังหวัดเชียงใหม่', en: 'Chiang Mai City Hall meeting room' },
    startInDays: 10,
    startTime: '09:00',
    endTime: '16:00',
    capacity: 40,
    deadlineDaysBeforeStart: 3,
    office: cddProvince('เชียงใหม่', 'Chiang Mai'),
    contactPhone: '053-112-345',
  },
  {
    code: 'TT-2569-003',
    title: { th: 'เริ่มขายบน Lazada: สมัคร ตั้งร้าน ลงสินค้าชิ้นแรก', en: 'Lazada seller basics: sign up, set up the shop, list the first product' },
    topic: 'lazada',
    mode: 'onsite',
    provinceCode: '40',
    venue: { th: 'ห้องประชุมสำนักงานพัฒนาชุมชนจังหวัดขอนแก่น', en: 'Khon Kaen Community Development Office meeting room' },
    startInDays: 14,
    startTime: '09:00',
    endTime: '15:30',
    capacity: 30,
    deadlineDaysBeforeStart: 3,
    office: cddProvince('ขอนแก่น', 'Khon Kaen'),
    contactPhone: '043-123-456',
  },
  {
    code: 'TT-2569-004',
    title: { th: 'การตลาดออนไลน์ด้วย Facebook และ LINE OA สำหรับสินค้าชุมชน', en: 'Online marketing with Facebook and LINE OA for community products' },
    topic: 'online_marketing',
    mode: 'onsite',
    provinceCode: '30',
    venue: { th: 'หอประชุมอำเภอเมืองนครราชสีมา', en: 'Mueang Nakhon Ratchasima District Hall' },
    startInDays: 18,
    startTime: '09:00',
    endTime: '16:00',
    capacity: 30,
    // Nearly full.
    seatsTaken: 28,
    deadlineDaysBeforeStart: 3,
    office: cddProvince('นครราชสีมา', 'Nakhon Ratchasima'),
    contactPhone: '044-123-456',
  },
  {
    code: 'TT-2569-005',
    title: { th: 'ออกแบบบรรจุภัณฑ์และสร้างแบรนด์ให้สินค้า OTOP', en: 'Packaging design and branding for OTOP products' },
    topic: 'packaging',
    mode: 'onsite',
    provinceCode: '34',
    venue: { th: 'ศูนย์ประชุมมหาวิทยาลัยราชภัฏอุบลราชธานี', en: 'Ubon Ratchathani Rajabhat University Convention Centre' },
    startInDays: 21,
    days: 2,
    startTime: '09:00',
    endTime: '16:00',
    capacity: 35,
    deadlineDaysBeforeStart: 5,
    office: cddProvince('อุบลราชธานี', 'Ubon Ratchathani'),
    contactPhone: '045-123-456',
  },
  {
    code: 'TT-2569-006',
    title: { th: 'ถ่ายรูปสินค้าด้วยมือถือให้น่าซื้อ', en: 'Product photography with your phone' },
    topic: 'photography',
    mode: 'onsite',
    provinceCode: '84',
    venue: { th: 'ศูนย์จำหน่ายสินค้า OTOP จังหวัดสุราษฎร์ธานี', en: 'Surat Thani OTOP Centre' },
    startInDays: 25,
    startTime: '09:30',
    endTime: '15:30',
    capacity: 25,
    deadlineDaysBeforeStart: 3,
    office: cddProvince('สุราษฎร์ธานี', 'Surat Thani'),
    contactPhone: '077-123-456',
  },
  {
    code: 'TT-2569-007',
    title: { th: 'TikTok Shop สำหรับผู้ประกอบการ OTOP กรุงเทพฯ', en: 'TikTok Shop for Bangkok OTOP entrepreneurs' },
    topic: 'tiktok_shop',
    mode: 'onsite',
    provinceCode: '10',
    venue: { th: 'ห้องประชุมกรมการพัฒนาชุมชน ศูนย์ราชการแจ้งวัฒนะ', en: 'Community Development Department meeting room, Chaeng Watthana Government Complex' },
    startInDays: 7,
    startTime: '09:00',
    endTime: '16:00',
    capacity: 50,
    // Sign-up already closed.
    deadlineInDays: -1,
    office: CDD,
    contactPhone: '02-141-6000',
  },
  {
    code: 'TT-2569-008',
    title: { th: 'Lazada สำหรับมือใหม่ เรียนออนไลน์', en: 'Lazada for beginners (online class)' },
    topic: 'lazada',
    mode: 'online',
    onlineUrl: 'https://example.com/otop-training/lazada-basics',
    startInDays: 12,
    startTime: '10:00',
    endTime: '12:00',
    capacity: 200,
    deadlineDaysBeforeStart: 1,
    office: { th: 'กรมการพัฒนาชุมชน ร่วมกับ Lazada ประเทศไทย', en: 'Community Development Department with Lazada Thailand' },
  },
  {
    code: 'TT-2569-009',
    title: { th: 'เขียนคำบรรยายสินค้าและตั้งราคาขายออนไลน์', en: 'Writing product descriptions and pricing for online sales' },
    topic: 'online_marketing',
    mode: 'online',
    onlineUrl: 'https://example.com/otop-training/descriptions',
    startInDays: 30,
    startTime: '13:00',
    endTime: '15:00',
    capacity: 150,
    deadlineDaysBeforeStart: 2,
    office: CDD,
  },
  {
    code: 'TT-2569-010',
    title: { th: 'บรรจุภัณฑ์อาหาร OTOP ให้ส่งไกลไม่เสียหาย', en: 'Food packaging that survives long-distance shipping' },
    topic: 'packaging',
    mode: 'onsite',
    provinceCode: '50',
    venue: { th: 'ศูนย์ส่งเสริมอุตสาหกรรมภาคที่ 1 เชียงใหม่', en: 'Industrial Promotion Centre Region 1, Chiang Mai' },
    startInDays: 35,
    startTime: '09:00',
    endTime: '16:00',
    capacity: 30,
    deadlineDaysBeforeStart: 5,
    office: cddProvince('เชียงใหม่', 'Chiang Mai'),
    contactPhone: '053-112-345',
  },
  {
    code: 'TT-2569-011',
    title: { th: 'ถ่ายรูปและตัดต่อคลิปสั้นขายของด้วยมือถือ', en: 'Product photos and short videos with your phone' },
    topic: 'photography',
    mode: 'online',
    onlineUrl: 'https://example.com/otop-training/phone-video',
    startInDays: 42,
    startTime: '13:30',
    endTime: '16:00',
    capacity: 200,
    deadlineDaysBeforeStart: 1,
    office: CDD,
  },
  {
    code: 'TT-2569-012',
    title: { th: 'ไลฟ์ขายผ้าทอและของฝากบน TikTok Shop', en: 'Live selling woven textiles and souvenirs on TikTok Shop' },
    topic: 'tiktok_shop',
    mode: 'onsite',
    provinceCode: '40',
    venue: { th: 'ศูนย์ OTOP ขอนแก่น', en: 'Khon Kaen OTOP Centre' },
    startInDays: 52,
    startTime: '09:00',
    endTime: '16:00',
    capacity: 40,
    deadlineDaysBeforeStart: 7,
    office: cddProvince('ขอนแก่น', 'Khon Kaen'),
    contactPhone: '043-123-456',
  },
];
