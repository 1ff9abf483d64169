import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { addTotals, EMPTY_USAGE, UsageTotals } from '@imagen-queue/contract';
import { createUsageStore, utcDay } from '@imagen-queue/store';
import Type from 'typebox';
import { badRequest } from '../../lib/problem-error.ts';

const Day = Type.String({
  pattern: '^\\d{4}-\\d{2}-\\d{2}$',
  description: 'A UTC day, YYYY-MM-DD',
});
const MAX_DAYS = 366;
const DAY_MS = 86_400_000;

/**
 * The day's UTC midnight in ms, or a 400 naming the field when it is not a calendar day:
 * `Date.parse` rolls `2026-02-31` over to March 3rd rather than refusing it.
 */
function parseDay(name: 'from' | 'to', day: string): number {
  const time = Date.parse(`${day}T00:00:00Z`);
  if (Number.isNaN(time) || utcDay(new Date(time)) !== day)
    throw badRequest(`${name} is not a valid date`, [
      { path: `/${name}`, message: 'must be a valid date, YYYY-MM-DD' },
    ]);
  return time;
}

const UsageQuery = Type.Object({
  from: Type.Optional({ ...Day, description: 'First UTC day (default: 29 days before `to`)' }),
  to: Type.Optional({ ...Day, description: 'Last UTC day, inclusive (default: today)' }),
  group_by: Type.Optional(Type.Enum(['day', 'model'], { default: 'day' })),
});

const UsageRow = Type.Object({
  day: Type.Optional(Day),
  model: Type.Optional(Type.String()),
  ...UsageTotals.properties,
});

const UsageAnswer = Type.Object(
  {
    from: Day,
    to: Day,
    group_by: Type.Enum(['day', 'model']),
    data: Type.Array(UsageRow),
    total: UsageTotals,
  },
  { $id: 'Usage' },
);

/** `GET /v1/usage`: the tenant's provider usage, as the provider reported it, per day or model. */
const usage: FastifyPluginAsyncTypebox = async (fastify) => {
  const store = createUsageStore(fastify.redis, { prefix: fastify.config.redis.prefix });
  fastify.get(
    '/v1/usage',
    {
      schema: {
        description:
          "The tenant's provider calls, images and reported cost (credits, USD) over UTC days.",
        querystring: UsageQuery,
        response: { 200: UsageAnswer },
      },
    },
    async (request) => {
      const to = request.query.to ?? utcDay(new Date());
      const last = parseDay('to', to);
      const from = request.query.from ?? utcDay(new Date(last - 29 * DAY_MS));
      const first = parseDay('from', from);
      const groupBy = request.query.group_by ?? 'day';
      // The span is checked from the two dates before any day list is built: a list of
      // `0000-01-01..9999-12-31` would hold the event loop for seconds.
      const days = (last - first) / DAY_MS + 1;
      if (days < 1)
        throw badRequest('from is after to', [{ path: '/from', message: 'must not be after to' }]);
      if (days > MAX_DAYS)
        throw badRequest(`at most ${MAX_DAYS} days at once`, [
          { path: '/to', message: `must be within ${MAX_DAYS} days of from` },
        ]);
      const data = await store.totals(request.tenant, from, to, groupBy);
      const total = data.reduce(addTotals, EMPTY_USAGE);
      return {
        from,
        to,
        group_by: groupBy,
        data,
        total: {
          provider_calls: total.provider_calls,
          images: total.images,
          credits: total.credits,
          cost_usd: total.cost_usd,
        },
      };
    },
  );
};

export default usage;
