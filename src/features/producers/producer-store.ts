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
  async save(userId: string, profile: ProducerProfile, consents: Record<ConsentPurpose, boolean>, noticeVersion: string, now: Date): Promise<Producer> {
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
