import type { TrainingModels } from '../../../src/core/db/schemas/training.js';

const WRITES = ['create', 'updateOne', 'updateMany', 'findOneAndUpdate', 'deleteOne', 'deleteMany', 'insertMany', 'bulkWrite'] as const;

export interface Fault {
  /** Writes seen since the fault was armed (the failed one included). */
  readonly writes: string[];
  /** True once the fault has fired. */
  readonly fired: boolean;
  disarm(): void;
}

/**
 * Test-only failure hook on the models handed to the code under test (not a mock of the code):
 * counting the writes to the training and sign-up models from now on, the `n`-th fails before it
 * reaches the database with a transient network error, as when the process dies or the
 * connection drops between write n−1 and write n. Every other call goes to the real database.
 * Fires once, then the models behave normally (a retry runs against the real state left behind).
 */
export function failWrite(models: Pick<TrainingModels, 'Training' | 'TrainingSignup'>, n: number): Fault {
  const writes: string[] = [];
  let fired = false;
  const restore: (() => void)[] = [];
  for (const [name, model] of [['Training', models.Training], ['TrainingSignup', models.TrainingSignup]] as const) {
    const m = model as unknown as Record<string, unknown>;
    for (const method of WRITES) {
      const own = Object.prototype.hasOwnProperty.call(m, method);
      const original = m[method] as (...a: unknown[]) => unknown;
      m[method] = function (this: unknown, ...args: unknown[]) {
        if (!fired) {
          writes.push(`${name}.${method}`);
          if (writes.length === n) {
            fired = true;
            return rejected(Object.assign(new Error(`injected fault: connection lost before write ${n} (${name}.${method})`), { name: 'MongoNetworkError' }));
          }
        }
        return original.apply(this, args);
      };
      restore.push(() => {
        if (own) m[method] = original;
        else delete m[method];
      });
    }
  }
  return {
    writes,
    get fired() {
      return fired;
    },
    disarm: () => restore.forEach((r) => r()),
  };
}

/** What a mongoose query or promise looks like to its caller, failing when awaited. */
function rejected(err: Error) {
  const q = {
    lean: () => q,
    exec: () => Promise.reject(err),
    session: () => q,
    then: (ok?: (v: never) => unknown, fail?: (e: unknown) => unknown) => Promise.reject(err).then(ok, fail),
    catch: (fail: (e: unknown) => unknown) => Promise.reject(err).catch(fail),
  };
  return q;
}
