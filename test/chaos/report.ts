/**
 * A chaos scenario's one summary line (issue 16): its name, the load it held, the faults it injected and the
 * invariants that held at its end. Printed through the console so that test/chaos/reporter.ts gathers every line
 * into the run's summary.
 */
export const SCENARIO_MARK = 'chaos-scenario ';

export interface ScenarioLine {
  readonly name: string;
  readonly load: string;
  readonly faults: string;
  readonly invariants: readonly string[];
}

export function scenarioLine(line: ScenarioLine): void {
  console.log(
    `${SCENARIO_MARK}${line.name} | load: ${line.load} | faults: ${line.faults} | invariants: ${line.invariants.join(' ')}`,
  );
}
