import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EngineFailure, EngineRun, runEngineTask } from '../../../main/services/engineProcess.js';
import { ENGINE_ENTRY, tempDir } from '../../helpers/appFixtures.js';

describe('engine process', () => {
  it('answers a task with its validated result and logs the engine\'s output to a file', async () => {
    const log = path.join(await tempDir('engine'), 'logs', 'engine.log');
    const r = await runEngineTask({ entry: ENGINE_ENTRY }, { task: 'backends' }, log);
    expect(r.backends.map((b) => b.name)).toContain(r.chosen);
  });

  it('reports an engine that cannot start, or dies without answering, with the reason and the log', async () => {
    const dir = await tempDir('engine');
    const log = path.join(dir, 'engine.log');
    const missing = await runEngineTask({ entry: path.join(dir, 'no-engine.mjs') }, { task: 'backends' }, log).catch((e) => e);
    expect(missing).toBeInstanceOf(EngineFailure);
    expect(missing).toMatchObject({ code: 'ENGINE_DIED', died: true, files: [log] });
    expect(missing.message).toMatch(/exited with code 1; its log ends with .*no-engine\.mjs/);
    const noNode = await runEngineTask({ entry: ENGINE_ENTRY, execPath: path.join(dir, 'no-node') }, { task: 'backends' }, log).catch((e) => e);
    expect(noNode).toMatchObject({ code: 'ENGINE_START', died: true });
    // A task that does not match the protocol never reaches a process.
    expect(() => new EngineRun({ entry: ENGINE_ENTRY }, { task: 'inspect' } as never, log)).toThrow(/path/);
  });
});
