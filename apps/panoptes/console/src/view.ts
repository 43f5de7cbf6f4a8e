// What every page of the console shares: the API client and the field
// catalogue (fields.json, written by the build from libs/flow).

import { ApiClient } from './api.client';

export interface FieldInfo {
  name: string;
  type: string;
  unit: string;
  group: string;
  counter: boolean;
  description: string;
}

export interface ConsoleContext {
  api: ApiClient;
  fields: FieldInfo[];
}

/** A page: built once, started when shown, stopped when left (streams and timers end). */
export interface View {
  readonly el: HTMLElement;
  start(): void;
  stop(): void;
}
