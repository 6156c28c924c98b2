import { join } from 'node:path';

/**
 * Where the local settings live (local-config.ts reads them). Its own module so that code which only
 * needs to know whether the file exists does not load the YAML reader.
 */
export const localConfigFile = join('.conveyor', 'local-actions.yml');
