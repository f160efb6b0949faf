import { ApiTokens, API_ROLES } from '../../api/tokens.js';
import { required, UsageError, type AdminCommand } from './types.js';

export const commands: Record<string, AdminCommand> = {
  'token:create': {
    describe: 'make a bearer token for the admin API (printed once, as the last line; stored hashed)',
    usage: 'token:create --name NAME --role admin',
    async run(flags, ctx) {
      const name = required(flags, 'name');
      const role = required(flags, 'role');
      if (!(API_ROLES as readonly string[]).includes(role)) throw new UsageError(`--role must be one of: ${API_ROLES.join(', ')}`);
      const { token, doc } = await new ApiTokens(ctx.models).create(name, role);
      ctx.out(`created token ${doc._id} "${doc.name}" (${doc.role}); it is shown only now:`);
      ctx.out(token);
    },
  },
  'token:list': {
    describe: 'list admin API tokens (never the tokens themselves)',
    usage: 'token:list',
    async run(_flags, ctx) {
      const list = await new ApiTokens(ctx.models).list();
      if (!list.length) ctx.out('no tokens');
      for (const t of list) {
        ctx.out(`${t._id}\t${t.name}\t${t.role}\tcreated ${t.createdAt.toISOString()}${t.revokedAt ? `\trevoked ${t.revokedAt.toISOString()}` : ''}`);
      }
    },
  },
  'token:revoke': {
    describe: 'revoke a token by id or name',
    usage: 'token:revoke --id ID | --name NAME',
    async run(flags, ctx) {
      const key = typeof flags.id === 'string' ? flags.id : typeof flags.name === 'string' ? flags.name : undefined;
      if (!key) throw new UsageError('--id or --name is required');
      const n = await new ApiTokens(ctx.models).revoke(key);
      if (n === 0) throw new UsageError(`no live token with id or name "${key}"`);
      ctx.out(`revoked ${n} token(s)`);
    },
  },
};
