/**
 * The local deployment group's id. CodeDeploy gives every deployment group a UUID when it is created, and hook
 * scripts see it as DEPLOYMENT_GROUP_ID (the agent also names folders after it, e.g.
 * `/opt/codedeploy-agent/deployment-root/<group id>/`). Locally the group gets one too, on first use, kept in
 * `<groupDir>/group-id` for the group's life (`conveyor down` keeps it; deleting the state folder is a new group).
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupListFile } from './agent/files.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Read or create the group's UUID. `legacyId` is the id releases before it used (`application/group`): the
 * cleanup lists instances keep under that id are renamed, so the next Install still removes what the last one
 * installed.
 */
export function localGroupId(groupDir: string, instancesDir: string, legacyId: string): string {
  const file = join(groupDir, 'group-id');
  try {
    const id = readFileSync(file, 'utf8').trim();
    if (UUID.test(id)) return id;
  } catch {
    // First use.
  }
  const id = randomUUID();
  const instances = existsSync(instancesDir) ? readdirSync(instancesDir) : [];
  for (const instance of instances) {
    const root = join(instancesDir, instance);
    const legacy = cleanupListFile(root, legacyId);
    if (existsSync(legacy)) renameSync(legacy, cleanupListFile(root, id));
  }
  writeFileSync(file, `${id}\n`);
  return id;
}
