import type { Models } from '../core/db/models.js';

/**
 * A lease per user in the database, so that one process at a time handles a user's events even
 * when several web processes run. A crashed holder's lease simply expires.
 */
export class UserLocks {
  constructor(
    private readonly models: Models,
    private readonly owner: string,
    private readonly leaseMs: number,
  ) {}

  async acquire(userKey: string): Promise<boolean> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const now = Date.now();
      try {
        // A free user has no lease document: inserting one is the lock (unique _id).
        await this.models.UserLock.create({ _id: userKey, owner: this.owner, expiresAt: new Date(now + this.leaseMs) });
        return true;
      } catch (err) {
        if ((err as { code?: number }).code !== 11000) throw err;
      }
      const held = await this.models.UserLock.findById(userKey).lean();
      if (held && held.expiresAt.getTime() >= now) return false; // someone else has it
      // Expired (its holder crashed): remove exactly that lease, then race for a new one.
      if (held) await this.models.UserLock.deleteOne({ _id: userKey, owner: held.owner, expiresAt: held.expiresAt });
    }
    return false;
  }

  /** Extends the lease; false when it was lost (expired and taken over). */
  async renew(userKey: string): Promise<boolean> {
    const r = await this.models.UserLock.updateOne(
      { _id: userKey, owner: this.owner },
      { $set: { expiresAt: new Date(Date.now() + this.leaseMs) } },
    );
    return r.matchedCount === 1;
  }

  async release(userKey: string): Promise<void> {
    await this.models.UserLock.deleteOne({ _id: userKey, owner: this.owner });
  }
}
