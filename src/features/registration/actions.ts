import type { Sealer } from '../../core/crypto.js';
import { maskNationalId } from '../../domain/validation/national-id.js';
import { displayE164 } from '../../domain/validation/phone.js';
import type { FlowAction } from '../../flows/registry.js';
import { getPath } from '../../flows/paths.js';
import { markJourneyDone } from '../../flows/journey-done.js';
import { nationalIdSeal, ProducerRuleError, type ConsentPurpose, type Producer, type ProducerProfile, type ProducerStore } from '../producers/producer-store.js';

export interface RegistrationDeps {
  producers: ProducerStore;
  sealer: Sealer;
  /** Extra erasers run by "delete my data" (e.g. training sign-ups); each names what it erased. */
  erasers?: ((userId: string, now: Date, cause: string) => Promise<string | undefined>)[];
}

/**
 * The national ID masked for display; a value no configured key opens shows as "hidden" (the
 * sealer reports it) instead of failing the conversation.
 */
function maskedNationalId(p: Producer, sealer: Sealer, hidden: string): string | undefined {
  if (!p.nationalIdSealed) return undefined;
  const opened = sealer.tryUnseal(p.nationalIdSealed, nationalIdSeal(p.userId));
  return opened.ok ? maskNationalId(opened.value) : hidden;
}

/** Answers ← stored profile, so that registering again edits instead of starting from nothing. */
function profileToAnswers(p: Producer, sealer: Sealer, hidden: string): { answers: Record<string, unknown>; display: Record<string, string> } {
  const answers: Record<string, unknown> = {
    fullName: p.fullName,
    phone: p.phone,
    producerType: p.producerType,
    groupName: p.groupName,
    memberCount: p.memberCount,
    address: { province: p.address.province, district: p.address.district, subdistrict: { ...p.address.subdistrict, postcode: p.address.postcode } },
    category: p.category,
    products: p.products,
    otopRegistrationNumber: p.otopRegistrationNumber,
    opc: p.opc,
    shops: p.shops,
    nationalId: p.nationalIdSealed,
    consents: { registration: p.consents.registration, notices: p.consents.notices, sharing: p.consents.sharing },
  };
  const display: Record<string, string> = { phone: displayE164(p.phone), products: p.products.join(', ') };
  const masked = maskedNationalId(p, sealer, hidden);
  if (masked) display.nationalId = masked;
  for (const [k, v] of Object.entries(answers)) if (v === undefined) delete answers[k];
  return { answers, display };
}

export function registrationActions(deps: RegistrationDeps): Record<string, FlowAction> {
  const { producers, sealer } = deps;
  return {
    /** Already registered: load the profile and go straight to the summary to edit it. */
    'registration.begin': async ({ ctx, state }) => {
      const existing = await producers.get(ctx.userId);
      markJourneyDone(ctx, 'registration', Boolean(existing?.consents.registration));
      if (!existing || !existing.consents.registration) return;
      const { answers, display } = profileToAnswers(existing, sealer, ctx.t('profile:hidden'));
      Object.assign(state.answers, answers);
      Object.assign(state.display, display);
      ctx.say(ctx.t('registration:alreadyRegistered'));
      return { goto: 'summary' };
    },

    /** Saves the confirmed answers as the producer's profile, with the consents given. */
    'registration.save': async ({ ctx, answers }) => {
      const a = (f: string) => getPath(answers, f);
      const type = a('producerType') as ProducerProfile['producerType'];
      const group = type !== 'single_owner';
      const sub = a('address.subdistrict') as { code: string; nameTh: string; nameEn: string; postcode?: string };
      const opcStars = Number(a('opc.stars') ?? 0);
      const sealedId = a('nationalId') as string | undefined;
      const lookupOf = (sealed: string) => {
        const opened = sealer.tryUnseal(sealed, nationalIdSeal(ctx.userId));
        return opened.ok ? sealer.lookup(opened.value) : undefined;
      };
      const profile: ProducerProfile = {
        fullName: a('fullName') as string,
        phone: a('phone') as string,
        producerType: type,
        groupName: group ? (a('groupName') as string | undefined) : undefined,
        memberCount: group ? (a('memberCount') as number | undefined) : undefined,
        address: {
          province: a('address.province') as ProducerProfile['address']['province'],
          district: a('address.district') as ProducerProfile['address']['district'],
          subdistrict: { code: sub.code, nameTh: sub.nameTh, nameEn: sub.nameEn },
          postcode: sub.postcode,
        },
        category: a('category') as ProducerProfile['category'],
        products: (a('products') as string[]) ?? [],
        otopRegistrationNumber: a('otopRegistrationNumber') as string | undefined,
        opc: opcStars > 0 ? { stars: opcStars, roundYearBE: a('opc.roundYearBE') as number | undefined } : undefined,
        shops: ((a('shops') as string[]) ?? []).filter((s) => s !== 'none'),
        nationalIdSealed: sealedId,
        nationalIdLookup: sealedId ? lookupOf(sealedId) : undefined,
      };
      const consents = {
        registration: a('consents.registration') === true,
        notices: a('consents.notices') === true,
        sharing: a('consents.sharing') === true,
      };
      try {
        await producers.save(ctx.userId, profile, consents, ctx.t('registration:pdpa.version'), ctx.services.now());
      } catch (err) {
        if (!(err instanceof ProducerRuleError)) throw err;
        // The store's rules hold whatever the conversation did: nothing saved, say so plainly.
        ctx.services.logger.warn({ problems: err.problems }, 'registration not saved: profile rules');
        ctx.say(ctx.t('registration:notSaved'));
        return { end: true };
      }
      markJourneyDone(ctx, 'registration', true);
    },

    /** "My data": what we keep about this user, national ID masked. */
    'profile.show': async ({ ctx }) => {
      const p = await producers.get(ctx.userId);
      if (!p) return { outcome: 'none' };
      const name = (x?: { nameTh: string; nameEn: string }) => (x ? (ctx.lang === 'en' ? x.nameEn : x.nameTh) : '');
      const yesNo = (b: boolean) => ctx.t(b ? 'common:summary.yes' : 'common:summary.no');
      const lines = [
        `${ctx.t('registration:field.fullName')}: ${p.fullName}`,
        `${ctx.t('registration:field.phone')}: ${displayE164(p.phone)}`,
        `${ctx.t('registration:field.producerType')}: ${ctx.t(`registration:producerType.${p.producerType}`)}`,
        ...(p.groupName ? [`${ctx.t('registration:field.groupName')}: ${p.groupName}`] : []),
        ...(p.memberCount ? [`${ctx.t('registration:field.memberCount')}: ${p.memberCount}`] : []),
        `${ctx.t('registration:field.address')}: ${[name(p.address.subdistrict), name(p.address.district), name(p.address.province), p.address.postcode].filter(Boolean).join(', ')}`,
        `${ctx.t('registration:field.category')}: ${ctx.t(`registration:category.${p.category}`)}`,
        `${ctx.t('registration:field.products')}: ${p.products.join(', ')}`,
        ...(p.otopRegistrationNumber ? [`${ctx.t('registration:field.otopNumber')}: ${p.otopRegistrationNumber}`] : []),
        ...(p.opc ? [`${ctx.t('registration:field.opc')}: ${'★'.repeat(p.opc.stars)}${p.opc.roundYearBE ? ` (${p.opc.roundYearBE})` : ''}`] : []),
        `${ctx.t('registration:field.shops')}: ${p.shops.length ? p.shops.map((s) => ctx.t(`registration:shop.${s}`)).join(', ') : ctx.t('registration:shop.none')}`,
        ...(p.nationalIdSealed ? [`${ctx.t('registration:field.nationalId')}: ${maskedNationalId(p, sealer, ctx.t('profile:hidden'))}`] : []),
        `${ctx.t('registration:field.consentNotices')}: ${yesNo(p.consents.notices)}`,
        `${ctx.t('registration:field.consentSharing')}: ${yesNo(p.consents.sharing)}`,
      ];
      ctx.say(`${ctx.t('profile:title')}\n\n${lines.join('\n')}`);
      return { outcome: 'shown' };
    },

    /** "Delete my data", after the user confirmed. */
    'profile.delete': async ({ ctx }) => {
      const now = ctx.services.now();
      const erased = await producers.erase(ctx.userId, now);
      for (const eraser of deps.erasers ?? []) {
        // Keyed by the event that asked for it: a retried erasure does nothing twice.
        const what = await eraser(ctx.userId, now, `erase:${ctx.eventId}`);
        if (what) erased.push(what);
      }
      ctx.session.paused = {};
      markJourneyDone(ctx, 'registration', false);
      return { outcome: erased.length ? 'erased' : 'nothing' };
    },

    /** Loads the current consents into answers for the consent journey. */
    'consent.load': async ({ ctx, state }) => {
      const p = await producers.get(ctx.userId);
      if (!p) return { outcome: 'none' };
      const yesNo = (b: boolean) => ctx.t(b ? 'common:summary.yes' : 'common:summary.no');
      state.display.noticesNow = yesNo(p.consents.notices);
      state.display.sharingNow = yesNo(p.consents.sharing);
      return { outcome: 'loaded' };
    },

    /** Records the consent the user changed (params.purpose, from answers.granted). */
    'consent.update': async ({ ctx, answers, params }) => {
      const purpose = params.purpose as ConsentPurpose;
      const granted = answers.granted === true;
      await producers.setConsent(ctx.userId, purpose, granted, ctx.t('registration:pdpa.version'), ctx.services.now());
    },
  };
}
