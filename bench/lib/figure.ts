import type { Services } from './services.ts';
import type { Settings } from './settings.ts';

export type FigureValues = Record<string, number | null>;

/** What a figure measured, and whether its goal was met (null: no goal). */
export interface Measured {
  values: FigureValues;
  goalMet: boolean | null;
  /** Why a goal was missed, or anything a reader should know about the number. */
  note?: string;
}

export interface FigureContext {
  services: Services;
  settings: Settings;
  /** A progress line for the terminal. */
  log(message: string): void;
}

export interface Figure {
  key: string;
  what: string;
  goal: string;
  run(ctx: FigureContext): Promise<Measured>;
}

/** Thrown when a figure cannot be measured (a route or feature is not there yet). */
export class NotMeasured extends Error {}
