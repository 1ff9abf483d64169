import type { GenerationParams } from '@imagen-queue/contract';
import { ProviderError } from '../errors.ts';

export type ProviderName = 'aimlapi' | 'google';

/** Loads a reference image's bytes (Google wants them inline). */
export type FetchImage = (url: string) => Promise<{ mimeType: string; data: Buffer }>;

export interface ProviderRequest {
  path: string;
  headers: Record<string, string>;
  body: unknown;
}

/** Where one image's bytes are: inline, or behind a URL to download. */
export type ImageSource = { kind: 'base64'; data: string } | { kind: 'url'; url: string };

export interface ParsedAnswer {
  images: ImageSource[];
  /** The prompt the provider actually used, when it rewrote ours. */
  enhancedPrompt: string | null;
  /** Why images were dropped, when the provider says. */
  filteredReason: string | null;
}

export interface ErrorDescription {
  message: string;
  /** The provider refused the prompt itself (a safety refusal, not a malformed request). */
  refused: boolean;
  /** A rejected credential reported under another status (Google answers 400 for a bad key). */
  authFailure: boolean;
  /** The provider says the model itself is gone (retired or unknown to it). */
  modelGone?: boolean;
  /** Google's `RESOURCE_EXHAUSTED`, whatever the HTTP status. */
  rateLimited?: boolean;
}

/** Everything that differs between providers: the request's shape and how to read answers. */
export interface ProviderAdapter {
  name: ProviderName;
  buildRequest(
    params: GenerationParams,
    apiKey: string,
    fetchImage: FetchImage,
  ): ProviderRequest | Promise<ProviderRequest>;
  /** Throws `invalid_response` when the body is not one of the documented shapes. */
  parseAnswer(body: unknown): ParsedAnswer;
  describeError(body: unknown, status: number): ErrorDescription;
}

/**
 * How both providers word a safety refusal (Google: "…contains sensitive words that violate
 * Google's Responsible AI practices…"; gateways: `content_policy_violation`, "safety").
 */
const REFUSAL =
  /responsible ai|sensitive words|safety (filter|system)|content[ _]policy|blocked by/i;

export function looksLikeRefusal(...texts: (string | undefined)[]): boolean {
  return texts.some((text) => text !== undefined && REFUSAL.test(text));
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function stringField(record: Record<string, unknown>, key: string): string | undefined {
  const value = record[key];
  return typeof value === 'string' ? value : undefined;
}

/**
 * The reference images' URLs. A `{job, index}` still here is the caller's bug (the worker
 * turns each into a presigned URL before the call): it fails the attempt, for good, rather
 * than being dropped and the edit silently made without its reference.
 */
export function referenceUrls(params: GenerationParams): string[] {
  return (params.image_urls ?? []).map((ref, position) => {
    if (typeof ref === 'string') return ref;
    throw new ProviderError(
      'invalid_request',
      `image_urls/${position}: the reference to ${ref.job} image ${ref.index} was not resolved to a URL`,
      { retryable: false },
    );
  });
}
