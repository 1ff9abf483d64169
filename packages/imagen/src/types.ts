import type { GenerationParams } from '@imagen-queue/contract';
import type { Logger, Resolver } from '@imagen-queue/shared';
import type { ProviderUsage } from './provider-usage.ts';

export interface ImagenClientOptions {
  /** Which API `baseUrl` speaks: AI/ML API or Google's Gemini API `:predict`. */
  provider: 'aimlapi' | 'google';
  /** Origin of the provider, e.g. `https://api.aimlapi.com` or `http://127.0.0.1:8090`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer …` (AI/ML API) or `x-goog-api-key` (Google); never logged. */
  apiKey: string;
  /**
   * Deadline for one attempt: the request, the answer and any image downloads.
   * @defaultValue 60_000
   */
  timeoutMs?: number;
  /**
   * Largest image accepted, decoded; larger is an `invalid_response` that is not retried.
   * @defaultValue 20 MiB
   */
  maxImageBytes?: number;
  /**
   * Keep-alive connections per origin (undici pool size); set it to the worker's concurrency.
   * @defaultValue unlimited
   */
  connections?: number;
  /**
   * How reference images (`image_urls`, which the Google adapter downloads to send inline) are
   * fetched. A tenant's URL is untrusted: its host must resolve only to public addresses, checked
   * at connect time (the webhooks' SSRF guard), and no redirect is followed. URLs whose origin is
   * in `trustedOrigins` (the S3 endpoint our presigned URLs point at, which may be private) skip
   * the guard.
   */
  referenceImages?: {
    /** Skip the SSRF guard (tests on loopback), as `WEBHOOK_ALLOW_PRIVATE_NETWORKS`. @defaultValue false */
    allowPrivateNetworks?: boolean;
    /** Origins (`scheme://host:port`) fetched without the guard. @defaultValue none */
    trustedOrigins?: readonly string[];
    /** Largest reference image downloaded. @defaultValue 7 MB, Google's inline limit per image */
    maxBytes?: number;
    /** The resolver the guard asks. @defaultValue `dns.lookup` */
    resolver?: Resolver;
  };
  /** A pino logger; the client logs one debug line per attempt. @defaultValue no logging */
  logger?: Logger;
}

export interface GeneratedImage {
  bytes: Buffer;
  mimeType: 'image/png' | 'image/jpeg';
  width: number;
  height: number;
}

export interface GenerationResult {
  images: GeneratedImage[];
  /** The provider's rewrite of the prompt, when it made one. */
  enhancedPrompt: string | null;
  requested: number;
  /** How many of the requested images the safety filter dropped. */
  filtered: number;
  /** What the provider reported the call cost (absent for images kept from an earlier call). */
  usage?: ProviderUsage;
}

export interface ImagenClient {
  /** One attempt; throws `ProviderError`. `signal` cancels it (`canceled`, not retryable). */
  generate(
    params: GenerationParams,
    options?: {
      signal?: AbortSignal;
      /** Sent as `X-Client-Request-Id`, so the provider's usage log names the job. */
      requestId?: string;
    },
  ): Promise<GenerationResult>;
  close(): Promise<void>;
}
