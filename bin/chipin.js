#!/usr/bin/env node
// The chipin CLI: runs main.ts through tsx so the TypeScript sources are the only build.
import { register } from 'tsx/esm/api';

register();
await import('../main.ts');
