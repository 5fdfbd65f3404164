/** The Prometheus registry served on /metrics; main.ts builds one and hands it to whatever records metrics. */
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export interface BuildInfo {
  readonly version: string;
}

export function createMetricsRegistry(build: BuildInfo): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const info = new Gauge({
    name: 'chipin_build_info',
    help: 'Always 1; labels give the running chipin version and Node.js version.',
    labelNames: ['version', 'node'],
    registers: [registry],
  });
  info.set({ version: build.version, node: process.versions.node }, 1);
  return registry;
}
