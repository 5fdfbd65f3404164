#!/usr/bin/env node
// The chipin CLI: runs main.ts through tsx so the TypeScript sources are the only build.
import process from 'node:process';
import { register } from 'tsx/esm/api';

register();
const { runProcess } = await import('../main.ts');
await runProcess(process.argv.slice(2));
