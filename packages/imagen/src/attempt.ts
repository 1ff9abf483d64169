import { type GenerationParams, getModel } from '@imagen-queue/contract';
import { webhookUrlProblem } from '@imagen-queue/shared';
import type { ImageSource, ProviderAdapter } from './adapters/types.ts';
import { providerError } from './error-table.ts';
import { ProviderError } from './errors.ts';
import type { HttpAnswer, HttpRequest, HttpTransport } from './http.ts';
import { inspectImage } from './image-check.ts';
import { type ProviderUsage, readProviderUsage } from './provider-usage.ts';
import { parseRetryAfter } from './retry-after.ts';
import type { GeneratedImage, GenerationResult } from './types.ts';

export interface AttemptContext {
  http: HttpTransport;
  adapter: ProviderAdapter;
  baseUrl: string;
  apiKey: string;
  maxImageBytes: number;
  references: {
    /** Connects only to addresses the SSRF guard accepted (unless private networks are allowed). */
    http: HttpTransport;
    allowPrivateNetworks: boolean;
    /** Origins of our own storage, fetched through `http` instead. */
    trustedOrigins: ReadonlySet<string>;
    maxBytes: number;
  };
}

/** One call to the provider, every image loaded and checked, or a `ProviderError`. */
export async function runAttempt(
  ctx: AttemptContext,
  params: GenerationParams,
  signal: AbortSignal,
  requestId?: string,
): Promise<GenerationResult> {
  const fetchImage = async (url: string) => {
    const data = await downloadReference(ctx, url, signal);
    return { data, mimeType: inspectImage(data).mimeType };
  };
  const request = await ctx.adapter.buildRequest(params, ctx.apiKey, fetchImage);
  const answer = await ctx.http.send({
    method: 'POST',
    url: `${ctx.baseUrl}${request.path}`,
    headers: {
      ...request.headers,
      'content-type': 'application/json',
      accept: 'application/json',
      ...(requestId ? { 'x-client-request-id': requestId } : {}),
    },
    body: JSON.stringify(request.body),
    signal,
    // base64 is 4/3 of the bytes; the rest of the JSON is small.
    maxBytes: Math.ceil((ctx.maxImageBytes * 4) / 3) * params.num_images + 1024 * 1024,
  });
  if (answer.status < 200 || answer.status > 299) {
    const error = statusError(ctx, answer, params.model);
    // A failed call may still be billed: the caller records what the provider said it cost.
    error.usage = readProviderUsage(answer, parseJsonLoosely(answer.body));
    throw error;
  }

  const json = parseJson(answer.body);
  const usage = readProviderUsage(answer, json);
  try {
    return await finish(ctx, params, json, answer.status, signal, usage);
  } catch (error) {
    if (error instanceof ProviderError) error.usage = usage;
    throw error;
  }
}

async function finish(
  ctx: AttemptContext,
  params: GenerationParams,
  json: unknown,
  status: number,
  signal: AbortSignal,
  usage: ProviderUsage,
): Promise<GenerationResult> {
  const parsed = ctx.adapter.parseAnswer(json);
  const sources = parsed.images.slice(0, params.num_images);
  if (sources.length === 0) {
    throw providerError('all_filtered', {
      message: `the safety filter removed every image${parsed.filteredReason ? `: ${parsed.filteredReason}` : ''}`,
      status,
    });
  }
  const images = await Promise.all(sources.map((source) => loadImage(ctx, source, signal)));
  const enhanced = parsed.enhancedPrompt;
  return {
    images,
    enhancedPrompt: enhanced && enhanced !== params.prompt ? enhanced : null,
    requested: params.num_images,
    filtered: params.num_images - images.length,
    usage,
  };
}

function statusError(ctx: AttemptContext, answer: HttpAnswer, model: string) {
  const { status } = answer;
  const described = ctx.adapter.describeError(parseJsonLoosely(answer.body), status);
  if (described.modelGone) return modelGone(model, status);
  const refused = (status === 400 || status === 422) && described.refused;
  const when = refused
    ? 'refused'
    : described.authFailure
      ? 401
      : described.rateLimited
        ? 429
        : status;
  return providerError(when, {
    message: `provider answered ${status}: ${redact(described.message, ctx.apiKey)}`,
    status,
    retryAfterMs: parseRetryAfter(answer.headers['retry-after']),
  });
}

async function loadImage(
  ctx: AttemptContext,
  source: ImageSource,
  signal: AbortSignal,
): Promise<GeneratedImage> {
  const bytes =
    source.kind === 'base64'
      ? decodeBase64(source.data, ctx.maxImageBytes)
      : await download(ctx, source.url, signal);
  return { bytes, ...inspectImage(bytes) };
}

function decodeBase64(data: string, maxBytes: number): Buffer {
  const payload = data.startsWith('data:') ? data.slice(data.indexOf(',') + 1) : data;
  if (Math.floor((payload.length * 3) / 4) > maxBytes + 2) {
    throw providerError('too_large', { message: `an image is over ${maxBytes} bytes` });
  }
  return Buffer.from(payload, 'base64');
}

/**
 * A reference image (`image_urls`): our own storage's presigned URLs as they are, any other URL
 * only from a public address (checked here for literal addresses and names, and at connect time
 * on every address DNS gives), capped at `references.maxBytes`. A refused URL is the job's
 * fault, not retried.
 */
async function downloadReference(
  ctx: AttemptContext,
  url: string,
  signal: AbortSignal,
): Promise<Buffer> {
  const { references } = ctx;
  const origin = URL.canParse(url) ? new URL(url).origin : null;
  const refused = (why: string, cause?: unknown) =>
    new ProviderError('invalid_request', `image_urls: ${origin ?? 'a URL'} ${why}`, {
      retryable: false,
      cause,
    });
  const trusted = origin !== null && references.trustedOrigins.has(origin);
  if (!trusted) {
    const problem = webhookUrlProblem(url, references.allowPrivateNetworks);
    if (problem !== null) throw refused(problem);
  }
  try {
    return await download(ctx, url, signal, {
      http: trusted ? ctx.http : references.http,
      maxBytes: references.maxBytes,
      tooLarge: () => refused(`is an image over ${references.maxBytes} bytes`),
    });
  } catch (error) {
    if (isSsrfRefusal(error)) throw refused('is not a public address', error);
    throw error;
  }
}

/** The SSRF guard's refusal, as undici hands it on (the connect error, or its cause). */
function isSsrfRefusal(error: unknown): boolean {
  for (let e = error; e instanceof Error; e = e.cause) {
    if ((e as { code?: unknown }).code === 'ERR_WEBHOOK_SSRF') return true;
  }
  return false;
}

async function download(
  ctx: AttemptContext,
  url: string,
  signal: AbortSignal,
  how: Pick<HttpRequest, 'maxBytes' | 'tooLarge'> & { http: HttpTransport } = {
    http: ctx.http,
    maxBytes: ctx.maxImageBytes,
  },
): Promise<Buffer> {
  const target = new URL(url, ctx.baseUrl);
  if (target.protocol !== 'https:' && target.protocol !== 'http:') {
    throw providerError('invalid_response', {
      message: `an image URL is not http(s): ${target.protocol}`,
    });
  }
  const { http, ...limits } = how;
  const answer = await http.send({ method: 'GET', url: target.href, signal, ...limits });
  if (answer.status < 200 || answer.status > 299) {
    // An expired or missing image is a fault of this answer: generating again may well work.
    throw providerError(answer.status >= 500 ? answer.status : 'invalid_response', {
      message: `downloading an image answered ${answer.status}`,
      status: answer.status,
    });
  }
  return answer.body;
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw providerError('invalid_response', {
      message: 'the provider answered with invalid JSON',
      cause: error,
    });
  }
}

function parseJsonLoosely(body: Buffer): unknown {
  const text = body.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function modelGone(model: string, status: number) {
  const successor = getModel(model)?.successor;
  const instead = successor ? `; use ${successor}` : '';
  return providerError('model_gone', {
    message: `the provider no longer serves ${model}${instead}`,
    status,
  });
}

function redact(text: string, secret: string): string {
  return secret.length >= 4 ? text.replaceAll(secret, '[redacted]') : text;
}
