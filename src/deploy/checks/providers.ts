/** Which provider measures which kind of check. Tests inject their own table. */
import type { CheckSpec } from '../../documents/deployment-group/checks-schema.js';
import type { CheckProvider } from './check.js';
import { defaultCloudWatchProvider } from './cloudwatch.js';
import { commandProvider } from './command.js';
import { httpProvider } from './http.js';
import { prometheusProvider } from './prometheus.js';

export type CheckProviders = Record<CheckSpec['provider'], CheckProvider>;

export const defaultCheckProviders: CheckProviders = {
  prometheus: prometheusProvider,
  http: httpProvider,
  command: commandProvider,
  cloudwatch: defaultCloudWatchProvider,
};
