/** Which provider measures which kind of check. Tests inject their own table. */

import { createCloudWatchClient } from '../../aws/clients.js';
import type { CheckSpec } from '../../documents/deployment-group/checks-schema.js';
import type { CheckProvider } from './check.js';
import { cloudwatchProvider, defaultCloudWatchProvider } from './cloudwatch.js';
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

/**
 * The default table for one run: cloudwatch checks read AWS settings from the run's environment and the
 * command's `--region` / `--profile` (a check's own `region` still names where its alarm or metrics live).
 */
export function checkProvidersFor(
  env: Record<string, string | undefined>,
  aws: { region?: string; profile?: string } = {},
): CheckProviders {
  return {
    ...defaultCheckProviders,
    cloudwatch: cloudwatchProvider((region) => {
      const r = region ?? aws.region;
      return createCloudWatchClient({
        env,
        ...(r ? { region: r } : {}),
        ...(aws.profile ? { profile: aws.profile } : {}),
      });
    }),
  };
}
