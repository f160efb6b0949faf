/**
 * Quiet hours in Bangkok time (Thailand keeps UTC+7 all year), e.g. "21:00-08:00": no notice or
 * reminder goes out inside them; work waits for their end.
 */
export interface QuietHours {
  startMin: number;
  endMin: number;
}

const BANGKOK_OFFSET_MIN = 7 * 60;

export function parseQuietHours(spec: string): QuietHours | null {
  if (spec.trim() === '' || spec.trim() === 'off') return null;
  const m = /^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$/.exec(spec.trim());
  if (!m) throw new Error(`quiet hours "${spec}": expected HH:MM-HH:MM (Bangkok time) or "off"`);
  const [h1, m1, h2, m2] = m.slice(1).map(Number) as [number, number, number, number];
  if (h1 > 23 || h2 > 23 || m1 > 59 || m2 > 59) throw new Error(`quiet hours "${spec}": not a time of day`);
  return { startMin: h1 * 60 + m1, endMin: h2 * 60 + m2 };
}

const bangkokMinuteOfDay = (d: Date) => Math.floor((d.getTime() / 60_000 + BANGKOK_OFFSET_MIN) % 1440);

export function isQuiet(q: QuietHours | null, at: Date): boolean {
  if (!q || q.startMin === q.endMin) return false;
  const m = bangkokMinuteOfDay(at);
  return q.startMin < q.endMin ? m >= q.startMin && m < q.endMin : m >= q.startMin || m < q.endMin;
}

/** When the quiet hours around `at` end (or `at` itself when it is not quiet). */
export function quietUntil(q: QuietHours | null, at: Date): Date {
  if (!isQuiet(q, at)) return at;
  const m = bangkokMinuteOfDay(at);
  const wait = (q!.endMin - m + 1440) % 1440;
  return new Date(Math.floor(at.getTime() / 60_000) * 60_000 + wait * 60_000);
}
