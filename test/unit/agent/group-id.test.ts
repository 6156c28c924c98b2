import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupListFile } from '../../../src/providers/local/agent/files.js';
import { localGroupId } from '../../../src/providers/local/group-id.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function groupDir(): { dir: string; instances: string } {
  const dir = mkdtempSync(join(tmpdir(), 'conveyor-group-id-'));
  dirs.push(dir);
  return { dir, instances: join(dir, 'instances') };
}

describe('localGroupId', () => {
  it('gives the group a UUID, as CodeDeploy does, and keeps it', () => {
    const { dir, instances } = groupDir();
    const id = localGroupId(dir, instances, 'hello/dev');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(localGroupId(dir, instances, 'hello/dev')).toBe(id);
  });

  it('moves cleanup lists kept under the old application/group id, so the next Install still cleans up', () => {
    const { dir, instances } = groupDir();
    const legacy = cleanupListFile(join(instances, 'a-1'), 'hello/dev');
    mkdirSync(dirname(legacy), { recursive: true });
    writeFileSync(legacy, '/srv/app/VERSION\n');
    const id = localGroupId(dir, instances, 'hello/dev');
    expect(existsSync(legacy)).toBe(false);
    expect(readFileSync(cleanupListFile(join(instances, 'a-1'), id), 'utf8')).toBe('/srv/app/VERSION\n');
  });
});
