import type { IncomingMessage } from 'node:http';
import type { ImageSpec } from './images.ts';

/** One answer, before it is written. */
export interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** A generation request, whichever API it came through. */
export interface GenerationRequest {
  model: string;
  prompt: string;
  count: number;
  seed: number | undefined;
  ratio: string;
  /** The model's output size for the ratio and resolution. */
  size: { width: number; height: number };
  enhance: boolean;
  asUrl: boolean;
  includeRaiReason: boolean;
  /** The reference images it carried, recorded in the calls log for tests to check. */
  references?: CallReferences;
}

/** Reference images as a call carried them: URLs (AI/ML API), or inline bytes (Google). */
export interface CallReferences {
  image_urls?: string[];
  /** Each `inlineData` part: its MIME type, size and SHA-256 (not the bytes themselves). */
  inline_data?: { mime_type: string; bytes: number; sha256: string }[];
}

export interface RenderedImage {
  spec: ImageSpec;
  bytes: Buffer;
  url: string;
}

export interface GenerationOutcome {
  request: GenerationRequest;
  enhancedPrompt: string | null;
  images: RenderedImage[];
  filtered: number;
  shape: 'data' | 'output';
}

/** What differs between the AI/ML API and Google endpoints: auth, body, and the words used. */
export interface Route {
  authenticate(req: IncomingMessage, url: URL, apiKey: string | null): Answer | null;
  parse(body: unknown, url: URL): { request: GenerationRequest } | { answer: Answer };
  error(status: number, message: string): Answer;
  /** How the provider says a model is retired or unknown (a 404). */
  modelGone(model: string): Answer;
  /** How the provider refuses a prompt its safety filter blocks. */
  refusal(): Answer;
  answer(outcome: GenerationOutcome): Answer;
  /** How the provider reports a call's cost, when it does (the AI/ML API's headers and body). */
  bill?(answer: Answer, cost: { usd: number; credits: number }): Answer;
}

export const REFUSAL_MESSAGE =
  "The prompt could not be submitted. This prompt contains sensitive words that violate Google's Responsible AI practices. Try rephrasing the prompt. If you think this was an error, send feedback.";

export const FILTERED_MESSAGE =
  "Unable to show generated images. All images were filtered out because they violated Google's Responsible AI practices. You will not be charged for blocked images. Try rephrasing the prompt.";

export const STATUS_MESSAGES: Record<number, string> = {
  400: 'Bad request',
  401: 'Invalid API key',
  402: 'Insufficient balance: top up your account to continue',
  403: 'This API key may not use this model',
  404: 'Not found',
  422: 'Unprocessable request',
  429: 'Too many requests: rate limit exceeded',
  500: 'Internal server error',
  502: 'Bad gateway',
  503: 'The service is temporarily unavailable',
  504: 'Gateway timeout',
};
