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
    const now = Date.now();
    try {
      // Matches only an expired lease; when the user is free no document exists and the upsert
      // inserts one. A live lease makes the upsert collide on _id (11000): someone else has it.
      await this.models.UserLock.findOneAndUpdate(
        { _id: userKey, expiresAt: { $lt: new Date(now) } },
        { $set: { owner: this.owner, expiresAt: new Date(now + this.leaseMs) } },
        { upsert: true },
      );
      return true;
    } catch (err) {
      if ((err as { code?: number }).code === 11000) return false;
      throw err;
    }
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
