/** ECS rules: an ECS AppSpec's hooks and its service resource (task definition, port, network, capacity providers). */
import type { KindContext } from '../kind.js';
import { describeValue, isRecord } from '../report.js';
import type { PathSegment } from '../source.js';
import { checkServiceHooks } from './hook-rules.js';

const TASK_DEFINITION_ARN =
  /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:task-definition\/[A-Za-z0-9_-]+(:[0-9]+)?$/;

export function checkEcsRules(ctx: KindContext, doc: Record<string, unknown>): void {
  checkServiceHooks(ctx, doc, 'ecs');
  if (!Array.isArray(doc.Resources)) return;
  doc.Resources.forEach((entry, i) => {
    if (!isRecord(entry)) return;
    for (const [name, resource] of Object.entries(entry)) {
      if (!isRecord(resource) || !isRecord(resource.Properties)) continue;
      const props = resource.Properties;
      const p: PathSegment[] = ['Resources', i, name, 'Properties'];
      const td = props.TaskDefinition;
      if (
        typeof td === 'string' &&
        td !== '' &&
        td !== '<TASK_DEFINITION>' &&
        !TASK_DEFINITION_ARN.test(td)
      ) {
        ctx.reporter.report(
          'appspec/ecs-task-definition',
          [...p, 'TaskDefinition'],
          `TaskDefinition is ${describeValue(td)}; expected a task definition ARN, or the placeholder <TASK_DEFINITION> that CodePipeline fills in`,
        );
      }
      if (isRecord(props.LoadBalancerInfo)) {
        const port = props.LoadBalancerInfo.ContainerPort;
        const pp = [...p, 'LoadBalancerInfo', 'ContainerPort'];
        const n =
          typeof port === 'number'
            ? port
            : typeof port === 'string' && /^[0-9]+$/.test(port)
              ? Number(port)
              : undefined;
        if (typeof port === 'string' && n !== undefined) {
          ctx.reporter.report(
            'appspec/container-port',
            pp,
            `ContainerPort is the string "${port}"; the reference types it as a number`,
            {
              hint: `write \`ContainerPort: ${n}\``,
            },
          );
        }
        if (n !== undefined && (n < 1 || n > 65535)) {
          ctx.reporter.report('appspec/container-port', pp, `ContainerPort is ${n}; a port is 1 to 65535`);
        }
      }
      const net = isRecord(props.NetworkConfiguration)
        ? props.NetworkConfiguration.AwsvpcConfiguration
        : undefined;
      if (isRecord(net)) {
        const parts = ['Subnets', 'SecurityGroups', 'AssignPublicIp'];
        const given = parts.filter((k) => net[k] !== undefined);
        if (given.length > 0 && given.length < parts.length) {
          const missing = parts.filter((k) => !given.includes(k));
          ctx.reporter.report(
            'appspec/ecs-network-configuration',
            [...p, 'NetworkConfiguration', 'AwsvpcConfiguration'],
            `AwsvpcConfiguration sets ${given.join(', ')} but not ${missing.join(', ')}; give all three or none`,
          );
        }
      }
      if (Array.isArray(props.CapacityProviderStrategy)) {
        const strategy = props.CapacityProviderStrategy.filter(isRecord);
        const withBase = strategy.filter((s) => typeof s.Base === 'number' && s.Base > 0);
        if (withBase.length > 1) {
          ctx.reporter.report(
            'appspec/ecs-capacity-provider',
            [...p, 'CapacityProviderStrategy'],
            `${withBase.length} capacity providers set a Base above 0; only one may`,
          );
        }
        if (strategy.length > 0 && !strategy.some((s) => typeof s.Weight === 'number' && s.Weight > 0)) {
          ctx.reporter.report(
            'appspec/ecs-capacity-provider',
            [...p, 'CapacityProviderStrategy'],
            'no capacity provider has a Weight above 0; at least one must',
          );
        }
      }
    }
  });
}
