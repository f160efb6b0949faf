import type { Models } from '../../core/db/models.js';
import type { Translator } from '../../core/i18n.js';
import type { Logger } from '../../core/logger.js';
import type { HelpRouter } from '../officer/officer.js';
import { HelpRequests } from './help-requests.js';
import { helpRequestCards } from './line-cards.js';
import type { Journey } from './journeys.js';
import { area, langOf } from './line-menu.js';
import type { Pusher } from './notify.js';
import type { OfficerService } from './officer-service.js';

/**
 * "Talk to an officer": the new help request goes to the district's officer (else the province's),
 * who gets it pushed as a card (call, reply in LINE, mark handled). The producer is told who that is.
 * No officer for the area yet: the request waits in the list and the producer hears the old answer.
 */
export function helpRouter(deps: { models: Models; officers: OfficerService; translator: Translator; journeys: readonly Journey[]; pusher: Pusher; logger: Logger }): HelpRouter {
  const help = new HelpRequests(deps.models, deps.officers);
  return async (id, userId, _now) => {
    const producer = await deps.models.Producer.findOne({ userId }, { address: 1 }).lean();
    const provinceCode = producer?.address?.province?.code;
    const districtCode = producer?.address?.district?.code;
    if (!provinceCode || !districtCode) return null;
    const officer = await deps.officers.routeFor(provinceCode, districtCode);
    if (!officer?.lineUserId) return null;
    await deps.models.HelpRequest.updateOne({ _id: id }, { $set: { officerId: officer._id } });
    const doc = await deps.models.HelpRequest.findById(id).lean();
    const [view] = await help.withProducers([doc!]);
    const lang = await langOf(deps.models, officer.lineUserId);
    const t = (k: string, p?: Record<string, unknown>) => deps.translator.t(lang, k, p);
    try {
      await deps.pusher.push(`help:${id}:officer`, officer.lineUserId, [helpRequestCards(t, lang, deps.journeys, [view!], t('officers:help.new'))]);
    } catch (err) {
      // The request is stored and listed in the officer menu; a failed push must not lose it.
      deps.logger.warn({ err: (err as Error).message, helpRequest: id }, 'help request push to officer failed');
    }
    const producerLang = await langOf(deps.models, userId);
    return { officer: officer.name, area: area(officer, producerLang) };
  };
}
