import { randomInt } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Ledger, priceCall, requestIdOf } from './billing.ts';
import type { EmulatorConfig } from './config.ts';
import { enhancePrompt, readDirectives } from './directives.ts';
import { BodyError, readJson, sendJson } from './http-io.ts';
import type { ImageCache } from './image-cache.ts';
import { imageId } from './image-url.ts';
import type { RateLimiter } from './rate-limiter.ts';
import { type Answer, type Route, STATUS_MESSAGES } from './route.ts';
import type { StatsRecorder } from './stats.ts';

const REQUEST_MAX_BYTES = 20 * 1024 * 1024;

export interface GenerationDeps {
  config(): EmulatorConfig;
  stats: StatsRecorder;
  limiter: RateLimiter;
  images: ImageCache;
  ledger: Ledger;
  /** Aborted when the emulator closes: latency waits end at once. */
  closing: AbortSignal;
  /** Keep a request open for ever (until close). */
  hang(res: ServerResponse): void;
}

/**
 * One generation, whichever API: auth, rate limit, body, then the faults in the order a real
 * provider shows them (hang, latency, 5xx, forced status, refusal), then the images.
 */
export async function serveGeneration(
  route: Route,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  deps: GenerationDeps,
): Promise<void> {
  const leave = deps.stats.enter();
  res.once('close', leave);
  deps.stats.count('requests');
  const config = deps.config();
  let model = '';
  const send = (answer: Answer) => {
    deps.ledger.record({
      request_id: requestIdOf(req),
      model,
      status: answer.status,
      images: 0,
      credits: 0,
      usd: 0,
    });
    sendJson(res, answer.status, answer.body, answer.headers);
  };

  const denied = route.authenticate(req, url, config.apiKey);
  if (denied) return send(denied);
  if (config.rateLimitRpm !== null) {
    const waitMs = deps.limiter.take(config.rateLimitRpm);
    if (waitMs !== null) {
      deps.stats.count('rate_limited');
      return send(rateLimited(route, config, waitMs));
    }
  }
  let body: unknown;
  try {
    // Google takes reference images inline: its documented cap is 20 MB a request.
    body = await readJson(req, REQUEST_MAX_BYTES);
  } catch (error) {
    if (error instanceof BodyError) return send(route.error(error.status, error.message));
    throw error;
  }
  const parsed = route.parse(body, url);
  if ('answer' in parsed) return send(parsed.answer);
  const { request } = parsed;
  model = request.model;
  const directives = readDirectives(request.prompt);

  if (config.hangRate > 0 && Math.random() < config.hangRate) {
    deps.stats.count('hung');
    return deps.hang(res);
  }
  if (!(await waitLatency(config.latencyMs, res, deps.closing))) return;
  if (config.failureRate > 0 && Math.random() < config.failureRate) {
    deps.stats.count('failed');
    const status = Math.random() < 0.5 ? 500 : 503;
    return send(route.error(status, STATUS_MESSAGES[status]!));
  }
  const forced = directives.status ?? config.forceStatus;
  if (forced !== null) {
    deps.stats.count(forced === 429 ? 'rate_limited' : 'failed');
    if (forced === 429) return send(rateLimited(route, config, 1000));
    return send(route.error(forced, STATUS_MESSAGES[forced] ?? `Status ${forced}`));
  }
  if (directives.retired) return send(route.modelGone(request.model));
  if (directives.blocked) return send(route.refusal());

  const seed = request.seed ?? randomInt(2 ** 32); // unseeded: a new image every time, like the provider
  const kept = Math.max(0, request.count - directives.filter);
  const origin = `http://${req.headers.host ?? 'localhost'}`;
  const images = Array.from({ length: kept }, (_, index) => {
    const spec = {
      prompt: request.prompt,
      seed,
      index,
      ratio: request.ratio,
      ...request.size,
      noise: config.noise,
      small: config.smallImages,
    };
    return {
      spec,
      bytes: deps.images.get(spec),
      url: `${origin}/__emulator/images/${imageId(spec)}.png`,
    };
  });
  deps.stats.count('images', kept);
  const answer = route.answer({
    request,
    images,
    filtered: request.count - kept,
    enhancedPrompt: request.enhance ? enhancePrompt(request.prompt) : null,
    shape: directives.shape ?? config.responseShape,
  });
  const cost = priceCall(config, request.model, kept);
  const billed = route.bill ? route.bill(answer, cost) : answer;
  const reported = route.bill ? cost : { usd: 0, credits: 0 };
  deps.ledger.record({
    request_id: requestIdOf(req),
    model,
    status: billed.status,
    images: kept,
    ...reported,
    ...request.references,
  });
  sendJson(res, billed.status, billed.body, billed.headers);
}

function rateLimited(route: Route, config: EmulatorConfig, waitMs: number): Answer {
  const answer = route.error(429, STATUS_MESSAGES[429]!);
  return config.retryAfter
    ? { ...answer, headers: { 'retry-after': String(Math.ceil(waitMs / 1000)) } }
    : answer;
}

/** False when the client went away or the emulator closed while waiting. */
async function waitLatency(
  [min, max]: [number, number],
  res: ServerResponse,
  closing: AbortSignal,
) {
  const ms = min + Math.floor(Math.random() * (max - min + 1));
  if (ms === 0) return true;
  const gone = new AbortController();
  const onClose = () => gone.abort();
  res.once('close', onClose);
  try {
    await sleep(ms, undefined, { signal: AbortSignal.any([gone.signal, closing]) });
    return true;
  } catch {
    return false;
  } finally {
    res.off('close', onClose);
  }
}
