import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { budgetEstimate, presetEstimate } from '../../../main/services/budgetEstimate.js';
import { browseFolder } from '../../../main/services/folderBrowser.js';
import { tempDir } from '../../helpers/appFixtures.js';

describe('budget estimates', () => {
  it('say what each preset buys from the measured epoch time: more time, more candidates', () => {
    const e = budgetEstimate({ backend: 'wasm', threads: 2, trainExamples: 1800, samplesPerSecond: 600, epochSeconds: 3 });
    expect(e.presets.map((p) => p.name)).toEqual(['try', 'low', 'medium', 'high']);
    expect(e.presets.map((p) => p.seconds)).toEqual([600, 7200, 18000, 57600]);
    for (let i = 1; i < e.presets.length; i++) expect(e.presets[i].candidates).toBeGreaterThan(e.presets[i - 1].candidates);
    // try: 450 s of search; the seed trained 10 epochs (30 s); neighbours floor(405 / 6 / 18) = 3 epochs of 4.5 s:
    // 1 + floor(420 / 13.5) = 32 candidates.
    expect(presetEstimate(600, 3)).toEqual({ candidates: 32, seedEpochs: 10 });
    // A slow machine: an epoch longer than the search buys the seed alone.
    expect(presetEstimate(600, 1000)).toEqual({ candidates: 1, seedEpochs: 1 });
  });
});

describe('folder browser', () => {
  it('lists folders first, then files with sizes, hides dot files, and knows the parent', async () => {
    const root = await tempDir('browse');
    await mkdir(path.join(root, 'zebra'));
    await mkdir(path.join(root, 'Apples'));
    await mkdir(path.join(root, '.git'));
    await writeFile(path.join(root, 'b.csv'), 'a,b\n');
    await writeFile(path.join(root, 'a10.png'), 'xx');
    await writeFile(path.join(root, 'a9.png'), 'x');
    const l = await browseFolder(root);
    expect(l.path).toBe(root);
    expect(l.parent).toBe(path.dirname(root));
    expect(l.entries.map((e) => e.name)).toEqual(['Apples', 'zebra', 'a9.png', 'a10.png', 'b.csv']);
    expect(l.entries.find((e) => e.name === 'b.csv')).toMatchObject({ kind: 'file', size: 4, path: path.join(root, 'b.csv') });
    // A file lists its folder; the root has no parent; a missing folder is an error people can read.
    expect((await browseFolder(path.join(root, 'b.csv'))).path).toBe(root);
    expect((await browseFolder(path.parse(root).root)).parent).toBeNull();
    await expect(browseFolder(path.join(root, 'nope'))).rejects.toThrow(/does not exist/);
  });
});
