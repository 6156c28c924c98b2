import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../../src/core/paths.js';
import { builderEntryFor } from '../../../src/synth/ts-loader.js';

const fullEntry = join(packageRoot, 'dist', 'index.js');
const lightEntry = join(packageRoot, 'dist', 'define.js');

describe.skipIf(!existsSync(lightEntry))('builderEntryFor (which conveyor entry a source loads with)', () => {
  it('named imports of this installation load the builders-only entry', () => {
    expect(builderEntryFor(fullEntry, "import { definePipeline, stage } from 'conveyor';")).toBe(lightEntry);
    expect(
      builderEntryFor(fullEntry, 'import { Action } from "conveyor"\nexport { x } from \'conveyor\';'),
    ).toBe(lightEntry);
  });

  it('a namespace, dynamic or star import keeps the full entry (it may use any export)', () => {
    expect(builderEntryFor(fullEntry, "import * as conveyor from 'conveyor';")).toBeUndefined();
    expect(builderEntryFor(fullEntry, "const c = await import('conveyor');")).toBeUndefined();
    expect(builderEntryFor(fullEntry, "export * from 'conveyor';")).toBeUndefined();
    expect(builderEntryFor(fullEntry, "export * as c from 'conveyor';")).toBeUndefined();
  });

  it('another installation of conveyor, or an unknown importer, is left alone', () => {
    expect(
      builderEntryFor('/elsewhere/node_modules/conveyor/dist/index.js', "import { stage } from 'conveyor';"),
    ).toBe(undefined);
    expect(builderEntryFor(undefined, "import { stage } from 'conveyor';")).toBeUndefined();
    expect(builderEntryFor(fullEntry, undefined)).toBeUndefined();
  });
});
