// Types of the module scripts/gen-validators.ts generates (validators.js, not committed).
import type { CompiledValidator } from '../schema-report.js';

export const buildspec: CompiledValidator;
export const appspec_ec2: CompiledValidator;
export const appspec_ecs: CompiledValidator;
export const appspec_lambda: CompiledValidator;
export const pipeline: CompiledValidator;
export const deployment_group: CompiledValidator;
