#!/usr/bin/env node
// The engine process the app starts for each task (engine/protocol/worker.ts): like bin/netsprout.mjs, it runs the
// TypeScript engine through tsx. Found next to the engine, so that tsx resolves from this folder's node_modules in a
// clone and in a packaged app alike (there engine/, bin/ and node_modules/ are unpacked from the asar).
import { register } from 'tsx/esm/api';

register();
await import('../engine/protocol/worker.ts');
