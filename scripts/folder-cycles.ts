/**
 * Fails when folders import each other in a loop, which the file-level no-circular rule misses, at two levels:
 * the top-level folders (`bots` → `workers` → `bots`), and the second-level ones (`core/people` → `core/actions` →
 * `core/people`), where a node is such a folder with everything below it, or a file directly under a top-level
 * folder (`core/index.ts`). Reads dependency-cruiser's JSON on stdin:
 * `depcruise … --output-type json | tsx scripts/folder-cycles.ts` (part of `npm run lint`).
 */
import { readFileSync } from 'node:fs';

interface Cruise {
  modules: Array<{ source: string; dependencies: Array<{ resolved: string; coreModule: boolean }> }>;
}

const cruise = JSON.parse(readFileSync(0, 'utf8')) as Cruise;

const LEVELS: ReadonlyArray<(path: string) => string> = [
  (path) => path.split('/')[0] ?? path,
  (path) => {
    const parts = path.split('/');
    return parts.length > 2 ? parts.slice(0, 2).join('/') : path;
  },
];

/** The loops (strongly connected components of more than one folder) at one level, printed with an example each. */
function loopsAt(nodeOf: (path: string) => string): number {
  const edges = new Map<string, Set<string>>();
  const examples = new Map<string, string>();
  for (const module of cruise.modules) {
    if (module.source.includes('node_modules')) continue;
    const from = nodeOf(module.source);
    for (const dependency of module.dependencies) {
      if (dependency.coreModule || dependency.resolved.includes('node_modules')) continue;
      const to = nodeOf(dependency.resolved);
      if (to === from) continue;
      const out = edges.get(from) ?? new Set<string>();
      out.add(to);
      edges.set(from, out);
      const key = `${from} → ${to}`;
      if (!examples.has(key)) examples.set(key, `${module.source} → ${dependency.resolved}`);
    }
  }

  // Tarjan's algorithm.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const loops: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter++;
    stack.push(node);
    onStack.add(node);
    for (const next of edges.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node) ?? 0, low.get(next) ?? 0));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node) ?? 0, index.get(next) ?? 0));
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    for (let member = stack.pop(); member !== undefined; member = stack.pop()) {
      onStack.delete(member);
      component.push(member);
      if (member === node) break;
    }
    if (component.length > 1) loops.push(component);
  };
  for (const node of edges.keys()) if (!index.has(node)) visit(node);

  for (const loop of loops) {
    const members = new Set(loop);
    process.stderr.write(`folder loop: ${loop.sort().join(' ⇄ ')}\n`);
    for (const [key, example] of examples) {
      const [from = '', to = ''] = key.split(' → ');
      if (members.has(from) && members.has(to)) process.stderr.write(`  ${key}   (e.g. ${example})\n`);
    }
  }
  return loops.length;
}

const found = LEVELS.reduce((sum, level) => sum + loopsAt(level), 0);
if (found === 0) process.stdout.write('folder-cycles: no folder imports another that imports it back\n');
process.exitCode = found === 0 ? 0 : 1;
