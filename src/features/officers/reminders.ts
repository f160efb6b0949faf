import type { Models } from '../../core/db/models.js';
import type { Translator } from '../../core/i18n.js';
import type { CampaignService } from '../campaigns/campaign-service.js';
import type { CampaignDoc } from '../campaigns/model.js';
import type { Segment, Segments } from '../campaigns/segment.js';
import type { AuditChannel, OfficerService } from './officer-service.js';
import { producerFilter, scopedSegment, type Scope } from './scope.js';

/** Reminders an officer can send from LINE: a ready audience and message each. */
export const REMINDER_PRESETS = {
  'tiktok-stalled': { segment: { journeys: [{ flow: 'tiktok-shop', state: 'stalled', stalledDays: 7 }] }, flow: 'tiktok-shop' },
  'lazada-stalled': { segment: { journeys: [{ flow: 'lazada', state: 'stalled', stalledDays: 7 }] }, flow: 'lazada' },
  'tiktok-not-started': { segment: { journeys: [{ flow: 'tiktok-shop', state: 'not_started' }] }, flow: 'tiktok-shop' },
  'no-training': { segment: { training: 'none' }, flow: 'training' },
} as const satisfies Record<string, { segment: Segment; flow: 'tiktok-shop' | 'lazada' | 'training' }>;

export type ReminderPreset = keyof typeof REMINDER_PRESETS;
export const isPreset = (p: string | undefined): p is ReminderPreset => !!p && p in REMINDER_PRESETS;

/**
 * Officer reminder pushes: campaigns (src/features/campaigns/) whose audience is confined to the
 * officer's area by the scope module, with the count and cost shown before they confirm.
 */
export class OfficerReminders {
  constructor(
    private readonly deps: { models: Models; segments: Segments; campaigns: CampaignService; officers: OfficerService; translator: Translator },
  ) {}

  segmentFor(scope: Scope, preset: ReminderPreset, districtCode?: string): Segment {
    const base = REMINDER_PRESETS[preset].segment as Segment;
    return scopedSegment(scope, { ...base, ...(districtCode ? { districts: [districtCode] } : {}) });
  }

  /** Recipients (after the campaigns' exclusions: no consent, blocked) and messages it costs. */
  async preview(scope: Scope, preset: ReminderPreset, districtCode?: string): Promise<{ count: number; cost: number }> {
    const count = await this.deps.segments.count(this.segmentFor(scope, preset, districtCode));
    return { count, cost: count };
  }

  /** Districts of the area that have producers, most producers first (for picking one). */
  async districts(scope: Scope, limit = 10): Promise<{ code: string; nameTh: string; nameEn: string; n: number }[]> {
    const rows = await this.deps.models.Producer.find(producerFilter(scope), { 'address.district': 1 }).lean<{ address: { district: { code: string; nameTh: string; nameEn: string } } }[]>();
    const by = new Map<string, { code: string; nameTh: string; nameEn: string; n: number }>();
    for (const r of rows) {
      const d = r.address.district;
      if (!/^\d{4}$/.test(d.code)) continue; // campaign segments take 4-digit district codes only
      const e = by.get(d.code) ?? { ...d, n: 0 };
      e.n++;
      by.set(d.code, e);
    }
    return [...by.values()].sort((a, b) => b.n - a.n).slice(0, limit);
  }

  /** Creates and confirms the campaign (sent now by the campaign delivery job); audited. */
  async send(scope: Scope, preset: ReminderPreset, districtCode: string | undefined, channel: AuditChannel, now: Date): Promise<CampaignDoc> {
    const t = this.deps.translator;
    const segment = this.segmentFor(scope, preset, districtCode);
    const draft = await this.deps.campaigns.create(
      {
        title: `${t.t('th', `officers:remind.preset.${preset}`)} (${scope.officerId})`,
        messages: { th: [{ type: 'text', text: t.t('th', `officers:remind.message.${preset}`) }], en: [{ type: 'text', text: t.t('en', `officers:remind.message.${preset}`) }] },
        segment,
        schedule: { type: 'now' },
        deepLink: { flow: REMINDER_PRESETS[preset].flow, label: { th: t.t('th', `officers:remind.open.${preset}`), en: t.t('en', `officers:remind.open.${preset}`) } },
      },
      scope.officerId,
    );
    const confirmed = await this.deps.campaigns.confirm(draft._id);
    await this.deps.officers.audit(scope.officerId, 'send_campaign', channel, now, { target: draft._id, detail: { preset, segment } });
    return confirmed;
  }
}
