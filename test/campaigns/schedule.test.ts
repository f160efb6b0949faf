import { describe, expect, it } from 'vitest';
import { nextCronRun } from '../../src/features/campaigns/campaign-service.js';
import { campaignInputSchema } from '../../src/features/campaigns/model.js';
import { isQuiet, parseQuietHours, quietUntil } from '../../src/features/campaigns/quiet-hours.js';
import { variantOf } from '../../src/features/campaigns/delivery.js';

describe('campaign schedules and quiet hours', () => {
  it('when a recurring campaign runs Mondays 09:00 Bangkok, then the next run is the next Monday 02:00 UTC', () => {
    expect(nextCronRun('0 9 * * 1', new Date('2026-03-03T00:00:00Z'))?.toISOString()).toBe('2026-03-09T02:00:00.000Z');
    expect(nextCronRun('0 9 * * 1', new Date('2026-03-09T02:00:00Z'))?.toISOString()).toBe('2026-03-16T02:00:00.000Z');
  });

  it('when a schedule is not a 5-field pattern, then the input is refused naming the field', () => {
    const r = campaignInputSchema.safeParse({ title: 't', messages: { th: [{ type: 'text', text: 'x' }] }, schedule: { type: 'recurring', cron: 'every monday', until: '2030-01-01' } });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['schedule', 'cron']);
  });

  it('when quiet hours span midnight, then 21:00-07:59 Bangkok is quiet and they end at 08:00', () => {
    const q = parseQuietHours('21:00-08:00');
    expect(isQuiet(q, new Date('2026-03-02T13:59:00Z'))).toBe(false); // 20:59
    expect(isQuiet(q, new Date('2026-03-02T14:00:00Z'))).toBe(true); // 21:00
    expect(isQuiet(q, new Date('2026-03-02T00:59:00Z'))).toBe(true); // 07:59
    expect(isQuiet(q, new Date('2026-03-02T01:00:00Z'))).toBe(false); // 08:00
    expect(quietUntil(q, new Date('2026-03-02T15:30:00Z')).toISOString()).toBe('2026-03-03T01:00:00.000Z');
    expect(parseQuietHours('off')).toBeNull();
    expect(() => parseQuietHours('9pm-8am')).toThrow(/HH:MM/);
  });

  it('when recipients are split A/B with a 20 % holdout, then the shares are close and stable', () => {
    const split = { variantB: { th: [{ type: 'text' as const, text: 'b' }] }, percentB: 50, holdoutPercent: 20 };
    const counts = { A: 0, B: 0, holdout: 0 };
    for (let i = 0; i < 10_000; i++) counts[variantOf('cmp_x', `U${i}`, split)]++;
    expect(counts.holdout).toBeGreaterThan(1_800);
    expect(counts.holdout).toBeLessThan(2_200);
    expect(Math.abs(counts.A - counts.B)).toBeLessThan(400);
    expect(variantOf('cmp_x', 'U1', split)).toBe(variantOf('cmp_x', 'U1', split));
  });
});
