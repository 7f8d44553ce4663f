#!/usr/bin/env node
// The netsprout command: runs the TypeScript engine CLI through tsx (no build step needed after npm install).
import { register } from 'tsx/esm/api';

register();
await import('../engine/cli/main.ts');
