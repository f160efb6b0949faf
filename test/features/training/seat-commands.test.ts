import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase, type DatabaseHandle } from '../../../src/core/db/connection.js';
import { ensureIndexes } from '../../../src/core/db/models.js';
import { createTrainingModels, type TrainingModels } from '../../../src/core/db/schemas/training.js';
import { TrainingService } from '../../../src/features/training/training-service.js';
import { freshDatabase, type FreshDatabase } from '../../support/db.js';
import { addTraining } from './helpers.js';

/**
 * What exactly-once seats cost in database commands (counted by the driver's command monitoring),
 * so a change that adds round trips to a seat operation shows here. Not a timing.
 */
let fresh: FreshDatabase;
let db: DatabaseHandle;
let models: TrainingModels;
let commands = 0;
beforeAll(async () => {
  fresh = await freshDatabase('seat_commands');
  db = await connectDatabase(fresh.uri, { monitorCommands: true });
  models = createTrainingModels(db.conn);
  await ensureIndexes(models);
  db.conn.getClient().on('commandStarted', (e) => {
    if (!['hello', 'isMaster', 'ping', 'endSessions'].includes(e.commandName)) commands++;
  });
});
afterAll(async () => {
  await db?.close();
  await fresh?.drop();
});

async function perOperation(reps: number, op: (i: number) => Promise<unknown>): Promise<number> {
  commands = 0;
  for (let i = 0; i < reps; i++) await op(i);
  return commands / reps;
}

describe('database commands per seat operation (uncontended)', () => {
  it('when people sign up, wait, cancel and retry, then each costs what the write order needs and no more', async () => {
    const service = new TrainingService(models);
    const now = new Date();
    const id = await addTraining(models, now, { capacity: 10 });
    const u = (i: number) => `Ucmd${i}`;
    // Read training, read sign-up, take the seat, write the sign-up.
    expect(await perOperation(10, (i) => service.signUp({ trainingId: id, userId: u(i), now, key: `evt:${i}` }))).toBeLessThanOrEqual(4);
    // Read, read, join the list, write the sign-up.
    expect(await perOperation(5, (i) => service.signUp({ trainingId: id, userId: u(10 + i), now, key: `evt:${10 + i}` }, { waitIfFull: true }))).toBeLessThanOrEqual(4);
    // Read, read, cancel the sign-up, hand the seat on, read and confirm the promoted sign-up.
    expect(await perOperation(5, (i) => service.cancel({ trainingId: id, userId: u(i), now, key: `evt:c${i}` }))).toBeLessThanOrEqual(6);
    // The same cause again: two reads, nothing written.
    expect(await perOperation(5, (i) => service.signUp({ trainingId: id, userId: u(5 + i), now, key: `evt:${5 + i}` }))).toBeLessThanOrEqual(2);
  });
});
