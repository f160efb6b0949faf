import type { ChatUser } from './bot.js';

/**
 * A complete Thai registration by taps and short typing, as a producer on a phone would do it.
 * Returns how many things the user did (messages + taps) after opening the journey.
 */
export async function registerInThai(u: ChatUser, o: { name?: string; phone?: string } = {}): Promise<number> {
  const steps: (() => Promise<unknown>)[] = [
    () => u.taps('ยินยอม (อายุ 20+)'),
    () => u.says(o.name ?? 'สมศรี ใจดี'),
    () => u.says(o.phone ?? '๐๘๑-๒๓๔-๕๖๗๘'),
    () => u.taps('ผู้ผลิตรายเดียว'),
    () => u.says('เชียงใหม่'),
    () => u.says('แม่ริม'),
    () => u.says('ริมใต้'),
    () => u.says('ข้าวกล้องหอมมะลิ, น้ำพริกเผา'),
    () => u.taps('อาหาร'),
    () => u.taps('ยังไม่มี'),
    () => u.taps('ยินยอม'),
    () => u.taps('ไม่ยินยอม'),
    () => u.taps('ยืนยัน ถูกต้อง'),
  ];
  await u.says('ลงทะเบียน');
  for (const s of steps) await s();
  return steps.length;
}
