import { z } from 'zod';
import type { Models } from '../../core/db/models.js';
import { userRef } from '../../core/logger.js';

export type ConsentPurpose = 'registration' | 'notices' | 'sharing';
export const CONSENT_PURPOSES: ConsentPurpose[] = ['registration', 'notices', 'sharing'];

export interface Place {
  code: string;
  nameTh: string;
  nameEn: string;
}

export interface ProducerProfile {
  fullName: string;
  phone: string;
  producerType: 'community_group' | 'single_owner' | 'sme';
  groupName?: string;
  memberCount?: number;
  address: { province: Place; district: Place; subdistrict: Place; postcode?: string };
  category: 'food' | 'beverage' | 'textile' | 'craft' | 'herbal';
  products: string[];
  otopRegistrationNumber?: string;
  opc?: { stars: number; roundYearBE?: number };
  shops: string[];
  nationalIdSealed?: string;
  nationalIdLookup?: string;
}

export interface Producer extends ProducerProfile {
  userId: string;
  consents: Record<ConsentPurpose, boolean> & { noticeVersion?: string };
  marketplace: Record<string, unknown>;
  registeredAt: Date;
  updatedAt: Date;
}

const place = z.object({ code: z.string().min(1).max(64), nameTh: z.string().min(1), nameEn: z.string().min(1) }).strip();

/**
 * The rules of a stored profile, checked here (not only by the conversation that collects it) so
 * that every way in — LINE, admin API, dashboard — obeys them.
 */
export const producerProfileSchema = z
  .object({
    fullName: z.string().trim().min(2).max(120),
    phone: z.string().regex(/^\+66[689]\d{8}$/, 'a Thai mobile number in E.164 form'),
    producerType: z.enum(['community_group', 'single_owner', 'sme']),
    groupName: z.string().trim().min(1).max(120).optional(),
    memberCount: z.number().int().min(1).max(5000).optional(),
    address: z.object({ province: place, district: place, subdistrict: place, postcode: z.string().regex(/^\d{5}$/).optional() }).strip(),
    category: z.enum(['food', 'beverage', 'textile', 'craft', 'herbal']),
    products: z.array(z.string().trim().min(1).max(80)).min(1).max(20),
    otopRegistrationNumber: z.string().max(40).optional(),
    opc: z.object({ stars: z.number().int().min(1).max(5), roundYearBE: z.number().int().min(2540).max(2700).optional() }).strip().optional(),
    shops: z.array(z.enum(['tiktok', 'lazada', 'shopee', 'facebook'])).max(4),
    nationalIdSealed: z.string().min(1).optional(),
    nationalIdLookup: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((p, c) => {
    if (p.producerType !== 'single_owner' && !p.groupName) c.addIssue({ code: 'custom', path: ['groupName'], message: 'a group or SME needs its name' });
  });

const consentsSchema = z
  .object({ registration: z.boolean(), notices: z.boolean(), sharing: z.boolean() })
  .strict()
  .refine((c) => c.registration === true, { message: 'a profile is kept only with the registration consent', path: ['registration'] });

/** A profile or its consents broke a rule of the store; nothing was written. */
export class ProducerRuleError extends Error {
  constructor(readonly problems: string[]) {
    super(`producer profile rejected: ${problems.join('; ')}`);
    this.name = 'ProducerRuleError';
  }
}

function check<T>(schema: z.ZodType<T>, value: unknown, prefix: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new ProducerRuleError(r.error.issues.map((i) => `${prefix}${i.path.join('.')}: ${i.message}`));
  return r.data;
}

/** Producers' profiles and the consent log behind them. */
export class ProducerStore {
  constructor(private readonly models: Models) {}

  async get(userId: string): Promise<Producer | null> {
    return (await this.models.Producer.findOne({ userId }).lean()) as unknown as Producer | null;
  }

  /**
   * Creates or updates the profile of a LINE user (registering again updates, never duplicates)
   * and logs each consent that changed, with time and notice version.
   */
  async save(userId: string, input: ProducerProfile, givenConsents: Record<ConsentPurpose, boolean>, noticeVersion: string, now: Date): Promise<Producer> {
    const profile = check(producerProfileSchema, stripUndefined(input), '') as ProducerProfile;
    const consents = check(consentsSchema, givenConsents, 'consents.');
    const before = await this.get(userId);
    const unset: Record<string, 1> = {};
    for (const k of ['groupName', 'memberCount', 'otopRegistrationNumber', 'opc', 'nationalIdSealed', 'nationalIdLookup'] as const) {
      if (profile[k] === undefined) unset[k] = 1;
    }
    const set = Object.fromEntries(Object.entries(profile).filter(([, v]) => v !== undefined));
    await this.models.Producer.updateOne(
      { userId },
      {
        $set: { ...set, consents: { ...consents, noticeVersion }, updatedAt: now },
        $setOnInsert: { userId, registeredAt: now, marketplace: {} },
        ...(Object.keys(unset).length ? { $unset: unset } : {}),
      },
      { upsert: true },
    );
    for (const purpose of CONSENT_PURPOSES) {
      if (!before || before.consents?.[purpose] !== consents[purpose]) {
        await this.logConsent(userId, purpose, consents[purpose], noticeVersion, now);
      }
    }
    return (await this.get(userId))!;
  }

  async setConsent(userId: string, purpose: ConsentPurpose, granted: boolean, noticeVersion: string, now: Date): Promise<void> {
    // Withdrawing the registration consent is erasure ("delete my data"), never a profile without it.
    if (purpose === 'registration' && !granted) throw new ProducerRuleError(['consents.registration: withdraw it by erasing the profile']);
    await this.models.Producer.updateOne({ userId }, { $set: { [`consents.${purpose}`]: granted, updatedAt: now } });
    await this.logConsent(userId, purpose, granted, noticeVersion, now);
  }

  async setMarketplace(userId: string, key: string, value: unknown, now: Date): Promise<void> {
    await this.models.Producer.updateOne({ userId }, { $set: { [`marketplace.${key}`]: value, updatedAt: now } });
  }

  private async logConsent(userId: string, purpose: ConsentPurpose, granted: boolean, noticeVersion: string, at: Date) {
    await this.models.ConsentEvent.create({ userId, purpose, granted, noticeVersion, at });
  }

  /**
   * Erases a producer's personal data everywhere it is kept and records that it happened.
   * The consent log is kept (proof of what was agreed) but re-keyed to a non-reversible reference.
   */
  async erase(userId: string, now: Date): Promise<string[]> {
    const erased: string[] = [];
    const m = this.models;
    const hadProfile = (await m.Producer.deleteOne({ userId })).deletedCount > 0;
    if (hadProfile) erased.push('profile');
    if ((await m.JourneyProgress.deleteMany({ userId })).deletedCount > 0) erased.push('journeys');
    if ((await m.HelpRequest.deleteMany({ userId })).deletedCount > 0) erased.push('help_requests');
    await m.ConsentEvent.updateMany({ userId }, { $set: { userId: `erased:${userRef(userId)}` } });
    await m.ConsentEvent.create({ userId: `erased:${userRef(userId)}`, purpose: 'registration', granted: false, noticeVersion: 'erasure', at: now });
    await m.DataErasure.create({ userRef: userRef(userId), at: now, erased });
    return erased;
  }
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** What a national ID is sealed to (AAD): its owner and field, so it opens for that producer only. */
export const nationalIdSeal = (userId: string): { owner: string; field: string } => ({ owner: userId, field: 'nationalId' });
