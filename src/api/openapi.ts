/**
 * The admin API's contract (OpenAPI 3.1), served at /api/v1/openapi.json. Tests check every route
 * of the router against it and every answer against its response schema.
 */
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ 'application/json': { schema } });
const ok = (schema: unknown, description = 'OK') => ({ description, content: json(schema) });
const errors = {
  '400': { description: 'Invalid input: each field and why', content: json(ref('Error')) },
  '401': { description: 'No bearer token, or an unknown or revoked one', content: json(ref('Error')) },
};
const notFound = { '404': { description: 'No such id', content: json(ref('Error')) } };
const conflict = { '409': { description: 'Not allowed in the campaign\'s current state', content: json(ref('Error')) } };
const idParam = (name = 'id') => ({ name, in: 'path', required: true, schema: { type: 'string' } });
const body = (schema: unknown) => ({ required: true, content: json(schema) });
const open = { type: 'object', additionalProperties: true };
const localized = { type: 'object', required: ['th', 'en'], properties: { th: { type: 'string' }, en: { type: 'string' } } };
const dateTime = { type: 'string', format: 'date-time' };

const campaignAction = (summary: string, extra: Record<string, unknown> = {}) => ({
  post: { summary, parameters: [idParam()], responses: { '200': ok(ref('Campaign')), ...errors, ...notFound, ...conflict }, ...extra },
});

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'OTOP LINE bot admin API',
    version: '1.0.0',
    description: 'Campaigns, segments, trainings, producers and reminder rules. Bearer tokens: `npm run admin -- token:create --name NAME --role admin`.',
  },
  servers: [{ url: '/api/v1' }],
  security: [{ bearer: [] }],
  paths: {
    '/campaigns': {
      get: {
        summary: 'List campaigns, newest first',
        parameters: [{ name: 'status', in: 'query', schema: { type: 'string', enum: ['draft', 'scheduled', 'running', 'paused', 'done', 'cancelled'] } }],
        responses: { '200': ok({ type: 'object', required: ['items'], properties: { items: { type: 'array', items: ref('Campaign') } } }), ...errors },
      },
      post: {
        summary: 'Create a campaign (a draft; LINE message limits are checked here)',
        requestBody: body(ref('CampaignInput')),
        responses: { '201': ok(ref('Campaign'), 'Created'), ...errors },
      },
    },
    '/campaigns/{id}': {
      get: { summary: 'A campaign with its delivery counts', parameters: [idParam()], responses: { '200': ok(ref('CampaignWithCounts')), ...errors, ...notFound } },
    },
    '/campaigns/{id}/stats': {
      get: {
        summary: 'Per province: recipients, sent, deep-link opens, 7-day conversion (and the holdout\'s)',
        parameters: [idParam()],
        responses: { '200': ok({ type: 'object', required: ['counts', 'byProvince'], properties: { counts: ref('Counts'), byProvince: { type: 'object', additionalProperties: open } } }), ...errors, ...notFound },
      },
    },
    '/campaigns/{id}/preview': {
      post: { summary: 'Recipients by language and province, cost, this month\'s quota and consumption', parameters: [idParam()], responses: { '200': ok(ref('Preview')), ...errors, ...notFound } },
    },
    '/campaigns/{id}/confirm': campaignAction('Schedule a draft, or resume a paused campaign'),
    '/campaigns/{id}/pause': campaignAction('Pause a scheduled or running campaign'),
    '/campaigns/{id}/cancel': campaignAction('Cancel a campaign (recipients not yet sent to get nothing)'),
    '/campaigns/{id}/test-send': {
      post: {
        summary: 'Send the campaign to one LINE account (the creator\'s own)',
        parameters: [idParam()],
        requestBody: body({ type: 'object', required: ['userId'], additionalProperties: false, properties: { userId: { type: 'string', pattern: '^U[0-9a-f]{32}$' }, lang: { type: 'string', enum: ['th', 'en'] } } }),
        responses: { '202': ok({ type: 'object', required: ['outboxIds'], properties: { outboxIds: { type: 'array', items: { type: 'string' } } } }, 'Queued'), ...errors, ...notFound },
      },
    },
    '/segments/count': {
      post: { summary: 'How many producers a segment selects (exclusions applied)', requestBody: body(ref('Segment')), responses: { '200': ok({ type: 'object', required: ['count'], properties: { count: { type: 'integer' } } }), ...errors } },
    },
    '/trainings': {
      get: {
        summary: 'List trainings by start time',
        parameters: [
          { name: 'status', in: 'query', schema: { type: 'string', enum: ['open', 'cancelled'] } },
          { name: 'province', in: 'query', schema: { type: 'string' } },
        ],
        responses: { '200': ok({ type: 'object', required: ['items'], properties: { items: { type: 'array', items: ref('Training') } } }), ...errors },
      },
      post: { summary: 'Create a training', requestBody: body(open), responses: { '201': ok(ref('Training'), 'Created'), ...errors } },
    },
    '/trainings/{id}': {
      patch: {
        summary: 'Update a training (seats a capacity raise frees go to the people waiting, keyed by Idempotency-Key when given)',
        parameters: [idParam(), { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 100 } }],
        requestBody: body(open),
        responses: { '200': ok(ref('Training')), ...errors, ...notFound },
      },
    },
    '/trainings/{id}/signups': {
      get: {
        summary: 'Sign-ups of a training',
        parameters: [idParam()],
        responses: { '200': ok({ type: 'object', required: ['items'], properties: { items: { type: 'array', items: ref('Signup') } } }), ...errors, ...notFound },
      },
    },
    '/producers': {
      get: {
        summary: 'Producers, filtered (no national IDs)',
        parameters: ['province', 'district', 'category', 'producerType', 'notices', 'registeredFrom', 'limit', 'offset'].map((name) => ({ name, in: 'query', schema: { type: 'string' } })),
        responses: { '200': ok({ type: 'object', required: ['total', 'items'], properties: { total: { type: 'integer' }, items: { type: 'array', items: ref('Producer') } } }), ...errors },
      },
    },
    '/producers/export.csv': {
      get: {
        summary: 'The same filters, as CSV (UTF-8, header row)',
        parameters: ['province', 'district', 'category', 'producerType', 'notices', 'registeredFrom'].map((name) => ({ name, in: 'query', schema: { type: 'string' } })),
        responses: { '200': { description: 'CSV', content: { 'text/csv': { schema: { type: 'string' } } } }, ...errors },
      },
    },
    '/reminder-rules': {
      get: { summary: 'Automatic reminder rules (flows/_reminders.yaml) and whether each is on', responses: { '200': ok({ type: 'object', required: ['items'], properties: { items: { type: 'array', items: ref('ReminderRule') } } }), ...errors } },
    },
    '/reminder-rules/{id}/enable': { post: { summary: 'Turn a rule on', parameters: [idParam()], responses: { '200': ok(ref('ReminderRule')), ...errors, ...notFound } } },
    '/reminder-rules/{id}/disable': { post: { summary: 'Turn a rule off', parameters: [idParam()], responses: { '200': ok(ref('ReminderRule')), ...errors, ...notFound } } },
  },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    schemas: {
      Error: {
        type: 'object',
        required: ['error'],
        properties: {
          error: { type: 'string' },
          message: { type: 'string' },
          errors: { type: 'array', items: { type: 'object', required: ['field', 'reason'], properties: { field: { type: 'string' }, reason: { type: 'string' } } } },
        },
      },
      Segment: {
        type: 'object',
        additionalProperties: false,
        properties: {
          provinces: { type: 'array', items: { type: 'string', pattern: '^\\d{2}$' } },
          districts: { type: 'array', items: { type: 'string', pattern: '^\\d{4}$' } },
          subdistricts: { type: 'array', items: { type: 'string', pattern: '^\\d{6}$' } },
          categories: { type: 'array', items: { type: 'string', enum: ['food', 'beverage', 'textile', 'craft', 'herbal'] } },
          producerTypes: { type: 'array', items: { type: 'string', enum: ['community_group', 'single_owner', 'sme'] } },
          languages: { type: 'array', items: { type: 'string', enum: ['th', 'en'] } },
          registration: { type: 'string', enum: ['with_otop_number', 'without_otop_number'] },
          journeys: {
            type: 'array',
            items: {
              type: 'object',
              required: ['flow', 'state'],
              properties: {
                flow: { type: 'string', enum: ['tiktok-shop', 'lazada'] },
                state: { type: 'string', enum: ['not_started', 'in_progress', 'stalled', 'finished'] },
                stepsDone: { type: 'integer', minimum: 0 },
                stalledDays: { type: 'integer', minimum: 1 },
              },
            },
          },
          training: { type: 'string', enum: ['signed_up', 'attended', 'none'] },
          activeWithinDays: { type: 'integer', minimum: 1 },
          inactiveForDays: { type: 'integer', minimum: 1 },
        },
      },
      Messages: {
        type: 'object',
        required: ['th'],
        properties: { th: { type: 'array', minItems: 1, maxItems: 5, items: open }, en: { type: 'array', minItems: 1, maxItems: 5, items: open } },
      },
      CampaignInput: {
        type: 'object',
        required: ['title', 'messages'],
        additionalProperties: false,
        properties: {
          title: { type: 'string', maxLength: 200 },
          messages: ref('Messages'),
          segment: ref('Segment'),
          schedule: {
            oneOf: [
              { type: 'object', required: ['type'], properties: { type: { const: 'now' } } },
              { type: 'object', required: ['type', 'at'], properties: { type: { const: 'at' }, at: dateTime } },
              { type: 'object', required: ['type', 'cron', 'until'], properties: { type: { const: 'recurring' }, cron: { type: 'string' }, until: dateTime } },
            ],
          },
          deepLink: { type: 'object', required: ['flow', 'label'], properties: { flow: { type: 'string' }, label: localized } },
          split: { type: 'object', required: ['variantB'], properties: { variantB: ref('Messages'), percentB: { type: 'integer' }, holdoutPercent: { type: 'integer' } } },
        },
      },
      Campaign: {
        type: 'object',
        required: ['id', 'title', 'status', 'messages', 'segment', 'schedule', 'createdAt'],
        properties: {
          id: { type: 'string' },
          title: { type: 'string' },
          status: { type: 'string', enum: ['draft', 'scheduled', 'running', 'paused', 'done', 'cancelled'] },
          pausedReason: { type: 'string' },
          messages: ref('Messages'),
          segment: ref('Segment'),
          schedule: open,
          deepLink: open,
          split: open,
          nextRunAt: dateTime,
          occurrence: { type: 'string' },
          createdBy: { type: 'string' },
          createdAt: dateTime,
          updatedAt: dateTime,
          confirmedAt: dateTime,
          finishedAt: dateTime,
        },
      },
      Counts: {
        type: 'object',
        required: ['recipients', 'planned', 'sent', 'failed', 'failedWhy', 'holdout', 'blocked', 'opened'],
        properties: {
          recipients: { type: 'integer' },
          planned: { type: 'integer' },
          sent: { type: 'integer' },
          failed: { type: 'integer' },
          failedWhy: { type: 'object', additionalProperties: { type: 'integer' } },
          holdout: { type: 'integer' },
          blocked: { type: 'integer' },
          opened: { type: 'integer' },
        },
      },
      CampaignWithCounts: { allOf: [ref('Campaign'), { type: 'object', required: ['counts'], properties: { counts: ref('Counts') } }] },
      Preview: {
        type: 'object',
        required: ['recipients', 'byLanguage', 'byProvince', 'cost', 'quota'],
        properties: {
          recipients: { type: 'integer' },
          byLanguage: { type: 'object', additionalProperties: { type: 'integer' } },
          byProvince: { type: 'object', additionalProperties: { type: 'integer' } },
          holdout: { type: 'integer' },
          messagesPerRecipient: { type: 'integer' },
          cost: { type: 'integer', description: 'Messages counted against the monthly quota (one per recipient)' },
          quota: {
            oneOf: [
              { type: 'object', required: ['limit', 'used', 'remaining'], properties: { limit: { type: ['integer', 'null'] }, used: { type: 'integer' }, remaining: { type: ['integer', 'null'] } } },
              { type: 'object', required: ['error'], properties: { error: { type: 'string' } } },
            ],
          },
          fitsQuota: { type: ['boolean', 'null'] },
        },
      },
      Training: {
        type: 'object',
        required: ['id', 'code', 'title', 'topic', 'mode', 'startsAt', 'endsAt', 'capacity', 'seatsTaken', 'status'],
        properties: {
          id: { type: 'string' },
          code: { type: 'string' },
          title: localized,
          topic: { type: 'string' },
          mode: { type: 'string', enum: ['onsite', 'online'] },
          provinceCode: { type: 'string' },
          startsAt: dateTime,
          endsAt: dateTime,
          signupDeadline: dateTime,
          capacity: { type: 'integer' },
          seatsTaken: { type: 'integer' },
          waitingCount: { type: 'integer' },
          status: { type: 'string', enum: ['open', 'cancelled'] },
        },
      },
      Signup: {
        type: 'object',
        required: ['userId', 'status', 'createdAt'],
        properties: { userId: { type: 'string' }, status: { type: 'string', enum: ['confirmed', 'waiting', 'cancelled'] }, createdAt: dateTime, confirmedAt: { type: ['string', 'null'] }, waitingSince: { type: ['string', 'null'] } },
      },
      Producer: {
        type: 'object',
        required: ['userId', 'fullName', 'phone', 'producerType', 'category', 'provinceCode', 'notices', 'registeredAt'],
        properties: {
          userId: { type: 'string' },
          fullName: { type: 'string' },
          phone: { type: 'string' },
          producerType: { type: 'string' },
          category: { type: 'string' },
          provinceCode: { type: 'string' },
          province: { type: 'string' },
          districtCode: { type: 'string' },
          district: { type: 'string' },
          subdistrict: { type: 'string' },
          otopRegistrationNumber: { type: ['string', 'null'] },
          notices: { type: 'boolean' },
          registeredAt: dateTime,
        },
      },
      ReminderRule: {
        type: 'object',
        required: ['id', 'kind', 'enabled'],
        properties: { id: { type: 'string' }, kind: { type: 'string' }, enabled: { type: 'boolean' }, link: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
} as const;
