import { join } from 'node:path';
import { createTranslator, type Lang } from '../../core/i18n.js';
import { projectRoot } from '../../core/paths.js';
import { ApiTokens } from '../../api/tokens.js';
import { matchDistrict, matchProvince, type District, type Province } from '../../domain/thai-address.js';
import { OfficerService } from '../../features/officers/officer-service.js';
import { OFFICER_ROLES, type OfficerRole } from '../../features/officers/scope.js';
import { one, required, UsageError, type AdminCommand } from './command.js';

async function province(name: string): Promise<Province> {
  const m = await matchProvince(name);
  if (!m.exact) throw new UsageError(`no province "${name}"${m.suggestions.length ? ` (did you mean ${m.suggestions.map((s) => s.nameTh).join(', ')}?)` : ''}`);
  return m.exact;
}

async function district(p: Province, name: string): Promise<District> {
  const m = await matchDistrict(p.code, name);
  if (!m.exact) throw new UsageError(`no district "${name}" in ${p.nameTh}${m.suggestions.length ? ` (did you mean ${m.suggestions.map((s) => s.nameTh).join(', ')}?)` : ''}`);
  return m.exact;
}

const invite: AdminCommand = {
  summary: 'invite an officer: prints a one-time code (48 h) they type to the bot in LINE',
  usage: 'officer:invite --role admin|province|district [--province "เชียงใหม่"] [--district "แม่ริม"] [--name "..."] [--phone 053...]',
  async run(args, ctx) {
    const role = required(args, 'role') as OfficerRole;
    if (!OFFICER_ROLES.includes(role)) throw new UsageError(`--role must be one of ${OFFICER_ROLES.join(', ')}`);
    const provinces: Province[] = [];
    const districts: District[] = [];
    if (role !== 'admin') {
      for (const name of args['province'] ?? []) provinces.push(await province(name));
      if (provinces.length === 0) throw new UsageError('--province is required for province and district officers');
    }
    if (role === 'district') {
      if (provinces.length !== 1) throw new UsageError('a district officer needs exactly one --province');
      for (const name of args['district'] ?? []) districts.push(await district(provinces[0]!, name));
      if (districts.length === 0) throw new UsageError('--district is required for a district officer');
    }
    // The area and default name are words producers read ("who will contact you"): from locales/.
    const t = await createTranslator(join(projectRoot, 'locales'));
    const area = (lang: Lang) => {
      const key = (k: string, o?: Record<string, unknown>) => t.t(lang, `officers:invitedArea.${k}`, o);
      const nameOf = (p: { nameTh: string; nameEn: string }) => (lang === 'th' ? p.nameTh : p.nameEn);
      if (role === 'admin') return key('nationwide');
      if (role === 'district') {
        const list = districts.map((d) => key('district', { name: nameOf(d) })).join(key('separator'));
        return key('districtInProvince', { districts: list, province: nameOf(provinces[0]!) });
      }
      return provinces.map((p) => key('province', { name: nameOf(p) })).join(key('separator'));
    };
    const areaTh = area('th');
    const areaEn = area('en');
    const name = one(args, 'name') ?? t.t('th', `officers:invitedArea.${role === 'admin' ? 'nameAdmin' : role === 'district' ? 'nameDistrict' : 'nameProvince'}`, { area: areaTh });
    const { officer, code, expiresAt } = await new OfficerService(ctx.models).invite(
      {
        name,
        role,
        provinceCodes: provinces.map((p) => p.code),
        districtCodes: districts.map((d) => d.code),
        areaTh,
        areaEn,
        ...(one(args, 'phone') ? { phone: one(args, 'phone') } : {}),
      },
      ctx.now(),
    );
    ctx.out(`officer ${officer._id} (${role}, ${areaTh})`);
    ctx.out(`invite code: ${code}`);
    ctx.out(`valid once, until ${expiresAt.toISOString()}: the officer types it to the bot in LINE`);
  },
};

const reinvite: AdminCommand = {
  summary: 'a new one-time invite code for an existing officer (new phone, lost code)',
  usage: 'officer:reinvite --id ofc_...',
  async run(args, ctx) {
    const svc = new OfficerService(ctx.models);
    const officer = await svc.get(required(args, 'id'));
    if (!officer) throw new UsageError(`no officer ${one(args, 'id')}`);
    if (officer.status === 'suspended') throw new UsageError(`${officer._id} is suspended`);
    const { code, expiresAt } = await svc.newInvite(officer._id, ctx.now());
    ctx.out(`invite code: ${code}`);
    ctx.out(`valid once, until ${expiresAt.toISOString()}`);
  },
};

const suspend: AdminCommand = {
  summary: 'suspend an officer: their LINE officer menu, dashboard sessions and links stop working',
  usage: 'officer:suspend --id ofc_...',
  async run(args, ctx) {
    const svc = new OfficerService(ctx.models);
    const id = required(args, 'id');
    if (!(await svc.get(id))) throw new UsageError(`no officer ${id}`);
    const done = await svc.suspend(id, ctx.now());
    ctx.out(done ? `officer ${id} suspended` : `officer ${id} was already suspended`);
  },
};

const list: AdminCommand = {
  summary: 'list officers with role, area and status',
  usage: 'officer:list',
  async run(_args, ctx) {
    for (const o of await new OfficerService(ctx.models).list()) {
      ctx.out(`${o._id}\t${o.status}\t${o.role}\t${o.areaTh ?? ''}\t${o.name}`);
    }
  },
};

const token: AdminCommand = {
  summary: 'an admin-API token for an officer, scoped to their area (printed once; expires)',
  usage: 'officer:token --id ofc_... [--days 30]',
  async run(args, ctx) {
    const officer = await new OfficerService(ctx.models).get(required(args, 'id'));
    if (!officer || officer.status !== 'active') throw new UsageError(`no active officer ${one(args, 'id')}`);
    const days = Number(one(args, 'days') ?? 30);
    if (!Number.isInteger(days) || days < 1 || days > 365) throw new UsageError('--days must be 1..365');
    const expiresAt = new Date(ctx.now().getTime() + days * 86_400_000);
    const { token: secret, doc } = await new ApiTokens(ctx.models, ctx.now).create(`officer:${officer._id}`, 'officer', { officerId: officer._id }, expiresAt);
    await new OfficerService(ctx.models).audit(officer._id, 'api_token_created', 'cli', ctx.now(), { target: doc._id });
    ctx.out(`token ${doc._id} for ${officer._id}, valid until ${expiresAt.toISOString()}; shown only now:`);
    ctx.out(secret);
  },
};

export const commands: Record<string, AdminCommand> = {
  'officer:token': token,
  'officer:invite': invite,
  'officer:reinvite': reinvite,
  'officer:suspend': suspend,
  'officer:list': list,
};
