/**
 * FerretDB 1.24 (the embedded database) gets some operations silently wrong instead of refusing
 * them (see the compatibility probe in test/core/embedded-db.test.ts): `$push` with `$slice` or
 * `$position` ignores the modifier, `$pull` with a condition does nothing, and a unique index
 * accepts two documents that both lack the field. Code relying on any of them would pass every
 * test here and misbehave on MongoDB (or the other way round), so these guards keep them out of
 * src/. What FerretDB refuses outright ($expr, $lookup, transactions, TTL indexes...) fails loudly
 * in the other tests and needs no guard.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/core/paths.js';
import { createModels } from '../../src/core/db/models.js';
import { createTrainingModels } from '../../src/core/db/schemas/training.js';
import { TrainingService } from '../../src/features/training/training-service.js';
import { addTraining, openTrainingDb, type TrainingTestDb } from '../features/training/helpers.js';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Source with comments removed (so that explaining a rule does not trip it). */
function code(file: string): string {
  return readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

const SILENTLY_WRONG: Array<{ pattern: RegExp; why: string }> = [
  { pattern: /['"]?\$slice['"]?\s*:/, why: '$push with $slice: FerretDB 1.24 ignores the slice, the array grows without bound' },
  { pattern: /['"]?\$position['"]?\s*:/, why: '$push with $position: FerretDB 1.24 ignores it and appends' },
  { pattern: /['"]?\$pull['"]?\s*:\s*\{[^}]*:\s*\{\s*['"]?\$/, why: '$pull with a condition: FerretDB 1.24 removes nothing' },
];

describe('guards against what the embedded database gets silently wrong', () => {
  const files = sourceFiles(join(projectRoot, 'src'));

  it('when src/ is searched, then the guard sees the training service (the list of files is real)', () => {
    expect(files.map((f) => relative(projectRoot, f))).toContain(join('src', 'features', 'training', 'training-service.ts'));
  });

  for (const { pattern, why } of SILENTLY_WRONG) {
    it(`when src/ is searched, then no update uses ${why.split(':')[0]}`, () => {
      const hits = files.filter((f) => pattern.test(code(f))).map((f) => relative(projectRoot, f));
      expect(hits, why).toEqual([]);
    });
  }

  it('when a pattern is tried on code that uses it, then it matches (the guards can fail)', () => {
    expect(SILENTLY_WRONG[0]!.pattern.test("{ $push: { waitlist: { $each: [u], $slice: -100 } } }")).toBe(true);
    expect(SILENTLY_WRONG[1]!.pattern.test("{ $push: { waitlist: { $each: [u], $position: 0 } } }")).toBe(true);
    expect(SILENTLY_WRONG[2]!.pattern.test("{ $pull: { waitlist: { $in: [u] } } }")).toBe(true);
    expect(SILENTLY_WRONG[2]!.pattern.test("{ $pull: { waitlist: userId } }")).toBe(false);
  });

  it('when the models declare unique indexes, then every indexed field is required (a missing field would not collide on FerretDB)', () => {
    const conn = mongoose.createConnection();
    const models = { ...createModels(conn), ...createTrainingModels(conn) };
    const optional: string[] = [];
    let checked = 0;
    for (const [name, model] of Object.entries(models)) {
      for (const [keys, options] of model.schema.indexes()) {
        if (!(options as { unique?: boolean }).unique) continue;
        for (const field of Object.keys(keys)) {
          if (field === '_id') continue;
          checked++;
          const path = model.schema.path(field) as { isRequired?: boolean } | undefined;
          if (!path?.isRequired) optional.push(`${name}.${field}`);
        }
      }
    }
    expect(checked).toBeGreaterThan(3);
    expect(optional).toEqual([]);
    void conn.close();
  });
});

describe('the training waiting list on the embedded database', () => {
  let t: TrainingTestDb;
  beforeAll(async () => {
    t = await openTrainingDb('guard waitlist');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('when people join and leave a full training many times, then the list holds exactly those still waiting, in order', async () => {
    const now = new Date();
    const service = new TrainingService(t.models);
    const trainingId = await addTraining(t.models, now, { capacity: 1 });
    await service.signUp({ trainingId, userId: 'Useat', now });
    const waiting = Array.from({ length: 12 }, (_, i) => `Uwait${i}`);
    for (const userId of waiting) await service.signUp({ trainingId, userId, now }, { waitIfFull: true });
    // Every other one leaves the list ($pull of a plain value), the seat holder leaves too
    // (the first waiting is promoted with $pop).
    for (const userId of waiting.filter((_, i) => i % 2 === 1)) await service.cancel({ trainingId, userId, now });
    await service.cancel({ trainingId, userId: 'Useat', now });
    const doc = await t.models.Training.findById(trainingId).lean();
    const expected = waiting.filter((_, i) => i % 2 === 0).slice(1);
    expect(doc?.waitlist).toEqual(expected);
    expect(doc?.waitingCount).toBe(expected.length);
    expect(doc?.seatsTaken).toBe(1);
  });
});
