import { createHash, randomBytes } from 'node:crypto';
import type { Models } from '../core/db/models.js';

export const API_ROLES = ['admin'] as const;
export type ApiRole = (typeof API_ROLES)[number] | string;

export interface ApiTokenDoc {
  _id: string;
  name: string;
  role: ApiRole;
  hash: string;
  scope?: unknown;
  createdAt: Date;
  revokedAt?: Date;
  /** Officer tokens expire (src/cli/admin/officers.ts officer:token). */
  expiresAt?: Date;
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Bearer tokens of the admin API (collection api_tokens). Only a SHA-256 hash is stored: the
 * token itself is shown once, when it is made. Tokens are 32 random bytes, so a plain hash is
 * enough (no guessing to slow down).
 */
export class ApiTokens {
  constructor(
    private readonly models: Models,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async create(name: string, role: ApiRole, scope?: unknown, expiresAt?: Date): Promise<{ token: string; doc: ApiTokenDoc }> {
    const token = `otop_${randomBytes(32).toString('base64url')}`;
    const doc: ApiTokenDoc = {
      _id: `tok_${randomBytes(6).toString('hex')}`,
      name,
      role,
      hash: hashToken(token),
      ...(scope === undefined ? {} : { scope }),
      ...(expiresAt ? { expiresAt } : {}),
      createdAt: this.now(),
    };
    await this.models.ApiToken.create(doc);
    return { token, doc };
  }

  async list(): Promise<ApiTokenDoc[]> {
    return this.models.ApiToken.find({}, { hash: 0 }).sort({ createdAt: 1 }).lean<ApiTokenDoc[]>();
  }

  /** Revokes by id or by name; how many were revoked. */
  async revoke(idOrName: string): Promise<number> {
    const r = await this.models.ApiToken.updateMany(
      { $or: [{ _id: idOrName }, { name: idOrName }], revokedAt: { $exists: false } },
      { $set: { revokedAt: this.now() } },
    );
    return r.modifiedCount;
  }

  /** The live token document for a presented bearer token, or null. */
  async verify(token: string): Promise<ApiTokenDoc | null> {
    if (!token.startsWith('otop_') || token.length > 200) return null;
    const doc = await this.models.ApiToken.findOne({ hash: hashToken(token) }).lean<ApiTokenDoc>();
    return doc && !doc.revokedAt && !(doc.expiresAt && doc.expiresAt <= this.now()) ? doc : null;
  }
}
