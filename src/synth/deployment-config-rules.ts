import type { ShapeIssue } from './aws-shapes.js';

/**
 * Rules CreateDeploymentConfig enforces beyond the shape: which block each compute platform needs
 * and the ranges CodeDeploy accepts for percentages and intervals.
 */
export function checkDeploymentConfig(doc: unknown): ShapeIssue[] {
  if (typeof doc !== 'object' || doc === null) return [];
  const c = doc as {
    deploymentConfigName?: unknown;
    computePlatform?: string;
    minimumHealthyHosts?: { type?: string; value?: number };
    trafficRoutingConfig?: {
      type?: string;
      timeBasedCanary?: { canaryPercentage?: number; canaryInterval?: number };
      timeBasedLinear?: { linearPercentage?: number; linearInterval?: number };
    };
  };
  const issues: ShapeIssue[] = [];
  const platform = c.computePlatform ?? 'Server';
  if (typeof c.deploymentConfigName === 'string' && c.deploymentConfigName.startsWith('CodeDeployDefault.')) {
    issues.push({
      path: 'deploymentConfigName',
      message: `'${c.deploymentConfigName}' uses the reserved prefix CodeDeployDefault.`,
    });
  }
  if (platform === 'Server') {
    if (!c.minimumHealthyHosts)
      issues.push({ path: '(document)', message: 'a Server configuration needs minimumHealthyHosts' });
    if (c.trafficRoutingConfig)
      issues.push({
        path: 'trafficRoutingConfig',
        message: 'only Lambda and ECS configurations route traffic',
      });
    const m = c.minimumHealthyHosts;
    if (m?.type === 'FLEET_PERCENT' && typeof m.value === 'number' && (m.value < 0 || m.value >= 100)) {
      issues.push({
        path: 'minimumHealthyHosts.value',
        message: `FLEET_PERCENT ${m.value} must be from 0 to 99`,
      });
    }
    if (m?.type === 'HOST_COUNT' && typeof m.value === 'number' && m.value < 0) {
      issues.push({
        path: 'minimumHealthyHosts.value',
        message: `HOST_COUNT ${m.value} must not be negative`,
      });
    }
  } else {
    const t = c.trafficRoutingConfig;
    if (!t)
      issues.push({ path: '(document)', message: `a ${platform} configuration needs trafficRoutingConfig` });
    if (c.minimumHealthyHosts)
      issues.push({
        path: 'minimumHealthyHosts',
        message: 'only Server configurations use minimumHealthyHosts',
      });
    if (t?.type === 'TimeBasedCanary') {
      const b = t.timeBasedCanary;
      if (!b) issues.push({ path: 'trafficRoutingConfig', message: 'TimeBasedCanary needs timeBasedCanary' });
      else {
        if (!inRange(b.canaryPercentage, 1, 99))
          issues.push({
            path: 'trafficRoutingConfig.timeBasedCanary.canaryPercentage',
            message: `${b.canaryPercentage} must be from 1 to 99`,
          });
        if (!inRange(b.canaryInterval, 1, Number.MAX_SAFE_INTEGER))
          issues.push({
            path: 'trafficRoutingConfig.timeBasedCanary.canaryInterval',
            message: `${b.canaryInterval} must be a whole number of minutes, at least 1`,
          });
      }
    }
    if (t?.type === 'TimeBasedLinear') {
      const b = t.timeBasedLinear;
      if (!b) issues.push({ path: 'trafficRoutingConfig', message: 'TimeBasedLinear needs timeBasedLinear' });
      else {
        if (!inRange(b.linearPercentage, 1, 99))
          issues.push({
            path: 'trafficRoutingConfig.timeBasedLinear.linearPercentage',
            message: `${b.linearPercentage} must be from 1 to 99`,
          });
        if (!inRange(b.linearInterval, 1, Number.MAX_SAFE_INTEGER))
          issues.push({
            path: 'trafficRoutingConfig.timeBasedLinear.linearInterval',
            message: `${b.linearInterval} must be a whole number of minutes, at least 1`,
          });
      }
    }
  }
  return issues;
}

function inRange(n: unknown, min: number, max: number): boolean {
  return typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max;
}
