import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../core/paths.js';
import type { LocalizedText, TrainingTopic } from '../../core/db/schemas/training.js';

/**
 * Sample trainings for local use (`npm run seed:trainings`). Dates are relative to the day the
 * seed runs (Bangkok calendar days), so the list always looks upcoming. Venues, phone numbers and
 * links are made up; offices are real kinds of CDD offices. Province codes are the 2-digit
 * geocodes of src/domain/thai-address.ts (the seed takes the names from there).
 */
export interface SampleTraining {
  /** Stable key: the seed upserts on it, so running it again updates instead of duplicating. */
  code: string;
  title: LocalizedText;
  topic: TrainingTopic;
  mode: 'onsite' | 'online';
  provinceCode?: string;
  venue?: LocalizedText;
  onlineUrl?: string;
  /** Days from today (Bangkok) to the first day. */
  startInDays: number;
  /** Number of days (default 1). */
  days?: number;
  /** Bangkok wall-clock times, `HH:MM`. */
  startTime: string;
  endTime: string;
  capacity: number;
  /** Seats already taken when the sample is first inserted (e.g. registered by phone at the office). */
  seatsTaken?: number;
  /** Sign-up closes at 23:59 Bangkok this many days before the first day… */
  deadlineDaysBeforeStart?: number;
  /** …or this many days from today (negative: already closed). */
  deadlineInDays?: number;
  office: LocalizedText;
  contactPhone?: string;
}

/**
 * The samples themselves are data (data/sample-trainings.json) so that an officer can change
 * them without touching code.
 */
export const SAMPLE_TRAININGS: readonly SampleTraining[] = JSON.parse(
  readFileSync(join(projectRoot, 'data', 'sample-trainings.json'), 'utf8'),
) as SampleTraining[];
