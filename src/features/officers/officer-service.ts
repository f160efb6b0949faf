import { randomBytes } from 'node:crypto';
import type { Models } from '../../core/db/models.js';
import type { OfficerRole, Scope } from './scope.js';
import { hashSecret, newInviteCode, normalizeInviteCode, randomSecret } from './secrets.js';

export const INVITE_TTL_MS = 48 * 3_600_000;
export const SIGNIN_TTL_MS = 10 * 60_000;
export const SESSION_TTL_MS = 12 * 3_600_000;

export interface Officer {
  _id: string;
  name: string;
  role: OfficerRole;
  provinceCodes: string[];
  districtCodes: string[];
  areaTh?: string;
  areaEn?: string;
  phone?: string;
  status: 'invited' | 'active' | 'suspended';
  lineUserId?: string;
  createdAt: Date;
  linkedAt?: Date;
  suspendedAt?: Date;
}

export interface NewOfficer {
  name: string;
  role: OfficerRole;
  provinceCodes: string[];
  districtCodes: string[];
  areaTh?: string;
  areaEn?: string;
  phone?: string;
}

export type AuditChannel = 'line' | 'web' | 'api' | 'cli';

export type RedeemResult =
  | { kind: 'linked'; officer: Officer }
  | { kind: 'invalid' } // unknown, used, expired: one answer, so the reply tells a guesser nothing
  | { kind: 'already_officer'; officer: Officer }
  | { kind: 'suspended' };

export function scopeOf(o: Pick<Officer, '_id' | 'role' | 'provinceCodes' | 'districtCodes'>): Scope {
  return { officerId: o._id, role: o.role, provinceCodes: o.provinceCodes ?? [], districtCodes: o.districtCodes ?? [] };
}

/**
 * Officer accounts: invitation, linking a LINE account with a one-time code, suspension, dashboard
 * sign-in links and sessions, routing of help requests, and the audit log every action writes to.
 * One-time secrets are checked and spent by one conditional update (works once, even when two
 * taps race), and are stored hashed.
 */
export class OfficerService {
  constructor(private readonly models: Models) {}

  async invite(input: NewOfficer, now: Date): Promise<{ officer: Officer; code: string; expiresAt: Date }> {
    const id = `ofc_${randomBytes(6).toString('hex')}`;
    await this.models.Officer.create({ _id: id, ...input, status: 'invited', createdAt: now });
    const { code, expiresAt } = await this.newInvite(id, now);
    return { officer: (await this.get(id))!, code, expiresAt };
  }

  /** A fresh code for an officer (e.g. a new phone); earlier unused codes keep their expiry. */
  async newInvite(officerId: string, now: Date): Promise<{ code: string; expiresAt: Date }> {
    const code = newInviteCode();
    const expiresAt = new Date(now.getTime() + INVITE_TTL_MS);
    await this.models.OfficerToken.create({ _id: hashSecret(code), kind: 'invite', officerId, createdAt: now, expiresAt });
    return { code, expiresAt };
  }

  async get(id: string): Promise<Officer | null> {
    return (await this.models.Officer.findById(id).lean()) as Officer | null;
  }

  async list(): Promise<Officer[]> {
    return (await this.models.Officer.find({}).sort({ createdAt: 1 }).lean()) as Officer[];
  }

  /** The active officer behind a LINE account, or null (not an officer, or suspended). */
  async activeByLineUser(lineUserId: string): Promise<Officer | null> {
    const link = await this.models.OfficerLink.findById(lineUserId).lean();
    if (!link) return null;
    const o = await this.get(link.officerId);
    return o && o.status === 'active' ? o : null;
  }

  async byLineUser(lineUserId: string): Promise<Officer | null> {
    const link = await this.models.OfficerLink.findById(lineUserId).lean();
    return link ? this.get(link.officerId) : null;
  }

  /** Text typed in LINE: is it shaped like an invite code? */
  looksLikeInvite(text: string): boolean {
    return normalizeInviteCode(text) !== undefined;
  }

  async redeemInvite(typed: string, lineUserId: string, now: Date): Promise<RedeemResult> {
    const code = normalizeInviteCode(typed);
    if (!code) return { kind: 'invalid' };
    const current = await this.byLineUser(lineUserId);
    if (current?.status === 'active') return { kind: 'already_officer', officer: current };
    if (current?.status === 'suspended') return { kind: 'suspended' };
    const token = await this.spend('invite', code, lineUserId, now);
    if (!token) return { kind: 'invalid' };
    const officer = await this.get(token.officerId);
    if (!officer || officer.status === 'suspended') return { kind: officer ? 'suspended' : 'invalid' };
    // A re-invite moves the officer to a new LINE account: the old link goes.
    if (officer.lineUserId && officer.lineUserId !== lineUserId) await this.models.OfficerLink.deleteOne({ _id: officer.lineUserId });
    await this.models.OfficerLink.updateOne({ _id: lineUserId }, { $set: { officerId: officer._id, at: now } }, { upsert: true });
    await this.models.Officer.updateOne({ _id: officer._id }, { $set: { status: 'active', lineUserId, linkedAt: now } });
    await this.audit(officer._id, 'link_line_account', 'line', now, { target: lineUserId });
    return { kind: 'linked', officer: (await this.get(officer._id))! };
  }

  /** Suspends: LINE officer actions, dashboard sessions and sign-in links stop working at once. */
  async suspend(officerId: string, now: Date): Promise<boolean> {
    const r = await this.models.Officer.updateOne({ _id: officerId, status: { $ne: 'suspended' } }, { $set: { status: 'suspended', suspendedAt: now } });
    if (r.modifiedCount === 0) return false;
    await this.models.OfficerSession.deleteMany({ officerId });
    await this.models.OfficerToken.updateMany({ officerId, usedAt: { $exists: false } }, { $set: { usedAt: now, usedBy: 'suspended' } });
    await this.audit(officerId, 'suspended', 'cli', now);
    return true;
  }

  /** A one-time dashboard sign-in link secret (sent to the officer in LINE). */
  async newSignin(officerId: string, now: Date): Promise<string> {
    const secret = randomSecret();
    await this.models.OfficerToken.create({ _id: hashSecret(secret), kind: 'signin', officerId, createdAt: now, expiresAt: new Date(now.getTime() + SIGNIN_TTL_MS) });
    return secret;
  }

  /** Spends a sign-in link and opens a session: the cookie value and its CSRF token. */
  async signIn(secret: string, now: Date): Promise<{ officer: Officer; cookie: string; csrf: string } | null> {
    const token = await this.spend('signin', secret, 'web', now);
    if (!token) return null;
    const officer = await this.get(token.officerId);
    if (!officer || officer.status !== 'active') return null;
    const cookie = randomSecret();
    const csrf = randomSecret(24);
    await this.models.OfficerSession.create({ _id: hashSecret(cookie), officerId: officer._id, csrf, createdAt: now, expiresAt: new Date(now.getTime() + SESSION_TTL_MS) });
    await this.audit(officer._id, 'sign_in', 'web', now);
    return { officer, cookie, csrf };
  }

  async session(cookie: string, now: Date): Promise<{ officer: Officer; csrf: string } | null> {
    const s = await this.models.OfficerSession.findById(hashSecret(cookie)).lean();
    if (!s || s.expiresAt <= now) return null;
    const officer = await this.get(s.officerId);
    if (!officer || officer.status !== 'active') return null;
    return { officer, csrf: s.csrf };
  }

  async signOut(cookie: string): Promise<void> {
    await this.models.OfficerSession.deleteOne({ _id: hashSecret(cookie) });
  }

  /**
   * Who answers a producer's help request: an active officer of their district, else of their
   * province (the longest-serving one, so the same person keeps getting that area's requests).
   */
  async routeFor(provinceCode: string, districtCode: string): Promise<Officer | null> {
    const district = await this.models.Officer.findOne({ status: 'active', role: 'district', districtCodes: districtCode }).sort({ linkedAt: 1 }).lean();
    if (district) return district as Officer;
    const province = await this.models.Officer.findOne({ status: 'active', role: 'province', provinceCodes: provinceCode }).sort({ linkedAt: 1 }).lean();
    return (province as Officer | null) ?? null;
  }

  async audit(officerId: string, action: string, channel: AuditChannel, at: Date, more: { target?: string; detail?: Record<string, unknown> } = {}): Promise<void> {
    await this.models.Audit.create({ officerId, action, channel, at, ...more });
  }

  private async spend(kind: 'invite' | 'signin', secret: string, usedBy: string, now: Date) {
    const _id = hashSecret(secret);
    const r = await this.models.OfficerToken.updateOne(
      { _id, kind, usedAt: { $exists: false }, expiresAt: { $gt: now } },
      { $set: { usedAt: now, usedBy } },
    );
    if (r.modifiedCount !== 1) return null;
    return this.models.OfficerToken.findById(_id).lean();
  }
}
