import type { Sealer } from '../core/crypto.js';
import type { Models } from '../core/db/models.js';
import * as basic from '../domain/validation/basic.js';
import { parseThaiDate } from '../domain/validation/date.js';
import { itemList } from '../domain/validation/lists.js';
import { nationalId } from '../domain/validation/national-id.js';
import { thaiMobile } from '../domain/validation/phone.js';
import { ProgressStore } from '../flows/progress.js';
import { FlowRegistry } from '../flows/registry.js';
import { addressFromLocation, addressFromText, districts, provinces, subdistricts } from './address/sources.js';
import { marketplaceActions } from './marketplace/actions.js';
import type { ProducerStore } from './producers/producer-store.js';
import { registrationActions } from './registration/actions.js';
import { SessionStore } from '../sessions/session-store.js';
import { trainingActions, trainingEraser, type TrainingDeps } from './training/handler.js';
import { TrainingService } from './training/training-service.js';

export interface FeatureDeps {
  models: Models;
  producers: ProducerStore;
  sealer: Sealer;
  erasers?: ((userId: string, now: Date, cause: string) => Promise<string | undefined>)[];
  /** Checklist progress (the engine's instance); made from `models` when not given. */
  progress?: ProgressStore;
  trainings?: TrainingService;
  sessions?: SessionStore;
  /** Tells people promoted from a waiting list (the runtime sends it through the outbox). */
  notifyPromoted?: TrainingDeps['notifyPromoted'];
}

/** The training feature's dependencies, shared by its flow actions and its card buttons. */
export function trainingDeps(deps: FeatureDeps): TrainingDeps {
  return {
    trainings: deps.trainings ?? new TrainingService(deps.models, undefined, deps.notifyPromoted ? { notify: deps.notifyPromoted } : {}),
    producers: deps.producers,
    sessions: deps.sessions ?? new SessionStore(deps.models, 60),
    ...(deps.notifyPromoted ? { notifyPromoted: deps.notifyPromoted } : {}),
  };
}

const num = (v: unknown, fallback: number) => (typeof v === 'number' ? v : Number(v ?? fallback));

/** Everything flow files may name: validators, option sources, actions. */
export function buildRegistry(deps: FeatureDeps): FlowRegistry {
  const r = new FlowRegistry()
    .validator('fullName', basic.fullName)
    .validator('thaiMobile', thaiMobile)
    .validator('nationalId', nationalId)
    .validator('email', basic.email)
    .validator('shopNameOrLink', basic.shopNameOrLink)
    .validator('otopRegistrationNumber', basic.otopRegistrationNumber)
    .validator('date', parseThaiDate)
    .validatorFactory('intBetween', (p) => basic.intBetween(num(p.min, 1), num(p.max, Number.MAX_SAFE_INTEGER)))
    .validatorFactory('text', (p) => basic.nonEmptyText(num(p.max, 200)))
    .validatorFactory('itemList', (p) => itemList(num(p.maxItems, 20), num(p.maxLength, 80)))
    .source('provinces', provinces)
    .source('districts', districts)
    .source('subdistricts', subdistricts)
    .action('address.fromLocation', addressFromLocation)
    .action('address.fromText', addressFromText);
  const training = trainingDeps(deps);
  const erasers = [...(deps.erasers ?? []), trainingEraser(training)];
  for (const [name, action] of Object.entries(registrationActions({ ...deps, erasers }))) r.action(name, action);
  for (const [name, action] of Object.entries(trainingActions(training))) r.action(name, action);
  const progress = deps.progress ?? new ProgressStore(deps.models);
  for (const [name, action] of Object.entries(marketplaceActions({ producers: deps.producers, progress }))) r.action(name, action);
  return r;
}
