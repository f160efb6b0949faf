import type { Models } from '../core/db/models.js';
import { DEFAULT_LANG, type Lang } from '../core/i18n.js';

/** Where a user is inside a journey. Owned by the flow engine; stored as-is. */
export interface FlowState {
  id: string;
  version: number;
  step: string;
  answers: Record<string, unknown>;
  /** Steps visited, for "back". */
  history: string[];
  /** Failed attempts at the current step. */
  retries: number;
  /** Incremented at every prompt; postbacks carry it so a button from an old prompt is recognised. */
  turn: number;
  /** How answers are shown back (masked ID, formatted phone), by field. */
  display: Record<string, string>;
  /** While editing from a summary: the summary step to return to. */
  returnTo?: string;
  /**
   * The postback data of the buttons issued at `issuedTurn` (the current question): any other
   * postback is answered as stale and changes nothing.
   */
  issued?: string[];
  issuedTurn?: number;
  /** Paging position in a long option list. */
  page?: number;
  startedAt: string;
  updatedAt: string;
}

export interface Session {
  id: string;
  lang: Lang;
  /** True once the user picked a language themselves (then LINE's setting no longer applies). */
  langChosen: boolean;
  reachable: boolean;
  flow: FlowState | null;
  /** Journeys the user left for another one, by flow id: offered again when they come back. */
  paused: Record<string, FlowState>;
  data: Record<string, unknown>;
  followedAt?: Date;
  unfollowedAt?: Date;
  lastEventAt?: Date;
  createdAt: Date;
  updatedAt: Date;
  rev: number;
  isNew: boolean;
}

export class SessionConflictError extends Error {
  constructor() {
    super('session was changed by someone else');
    this.name = 'SessionConflictError';
  }
}

/**
 * One session document per LINE user (read/write/delete, like grammY's storage adapters).
 * Conversation state expires after `idleDays` without TTL indexes (FerretDB has none): reads
 * ignore expired state and the worker clears it.
 */
export class SessionStore {
  constructor(
    private readonly models: Models,
    private readonly idleDays: number,
  ) {}

  async read(userId: string, now = new Date()): Promise<Session> {
    const doc = await this.models.Session.findById(userId).lean();
    if (!doc) {
      return {
        id: userId,
        lang: DEFAULT_LANG,
        langChosen: false,
        reachable: true,
        flow: null,
        paused: {},
        data: {},
        createdAt: now,
        updatedAt: now,
        rev: 0,
        isNew: true,
      };
    }
    const expired = doc.expiresAt ? doc.expiresAt.getTime() < now.getTime() : false;
    return {
      id: doc._id,
      lang: (doc.lang as Lang) ?? DEFAULT_LANG,
      langChosen: Boolean(doc.langChosen),
      reachable: doc.reachable !== false,
      flow: expired ? null : ((doc.flow as FlowState | null) ?? null),
      paused: expired ? {} : ((doc.paused as Record<string, FlowState> | null) ?? {}),
      data: (doc.data as Record<string, unknown>) ?? {},
      followedAt: doc.followedAt ?? undefined,
      unfollowedAt: doc.unfollowedAt ?? undefined,
      lastEventAt: doc.lastEventAt ?? undefined,
      createdAt: doc.createdAt,
      updatedAt: doc.updatedAt,
      rev: doc.rev ?? 0,
      isNew: false,
    };
  }

  /** Saves if nobody else saved since it was read; otherwise SessionConflictError. */
  async write(s: Session, now = new Date()): Promise<void> {
    const fields = {
      lang: s.lang,
      langChosen: s.langChosen,
      reachable: s.reachable,
      flow: s.flow,
      paused: s.paused,
      data: s.data,
      followedAt: s.followedAt,
      unfollowedAt: s.unfollowedAt,
      lastEventAt: s.lastEventAt ?? now,
      expiresAt: new Date(now.getTime() + this.idleDays * 86_400_000),
      updatedAt: now,
    };
    if (s.isNew) {
      try {
        await this.models.Session.create({ _id: s.id, ...fields, createdAt: s.createdAt, rev: 1 });
      } catch (err) {
        if ((err as { code?: number }).code === 11000) throw new SessionConflictError();
        throw err;
      }
    } else {
      const r = await this.models.Session.updateOne({ _id: s.id, rev: s.rev }, { $set: { ...fields, rev: s.rev + 1 } });
      if (r.matchedCount !== 1) throw new SessionConflictError();
    }
    s.rev += 1;
    s.isNew = false;
  }

  async delete(userId: string): Promise<void> {
    await this.models.Session.deleteOne({ _id: userId });
  }

  /** Clears conversation state idle past its expiry (language and reachability are kept). */
  async clearExpired(now = new Date()): Promise<number> {
    const r = await this.models.Session.updateMany(
      { expiresAt: { $lt: now } },
      { $set: { flow: null, paused: {}, expiresAt: null } },
    );
    return r.modifiedCount ?? 0;
  }
}
