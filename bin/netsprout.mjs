#!/usr/bin/env node
// The netsprout command: runs the TypeScript engine CLI through tsx (no build step needed after npm install).
// `netsprout serve` is the app (main/server), not the engine: it is dispatched here, so that the engine's CLI never
// imports the app.
import { register } from 'tsx/esm/api';

register();
if (process.argv[2] === 'serve') await import('../main/server/serveCommand.ts');
else await import('../engine/cli/main.ts');
