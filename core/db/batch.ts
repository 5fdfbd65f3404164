/**
 * Group commit for any statement: calls arriving while a batch runs form the next batch, so under load one
 * statement (one round trip, one fsync) serves many callers, and a lone caller waits for nothing but its own
 * batch. `run` gets the inputs in arrival order and must return one result per input, in the same order; when it
 * throws, every caller of that batch gets the error (the caller decides whether to fall back to one by one).
 */
export interface BatcherOptions {
  /** Most inputs in one call of `run`. Default 256. */
  maxBatch?: number;
  /** Calls of `run` in flight at once. Default 1. */
  maxInFlight?: number;
  /**
   * How long the first input of a batch waits for others before `run` starts (when none is in flight). Default 0:
   * what arrives in the same tick. For bookkeeping nobody waits on (a done mark after the reply went out), a few
   * milliseconds gather the inputs that trickle in one by one into one statement.
   */
  lingerMs?: number;
}

export interface Batcher<I, O> {
  push(input: I): Promise<O>;
  /** Resolves once nothing is queued or running. */
  drain(): Promise<void>;
}

export function createBatcher<I, O>(run: (inputs: I[]) => Promise<O[]>, options: BatcherOptions = {}): Batcher<I, O> {
  const maxBatch = options.maxBatch ?? 256;
  const maxInFlight = options.maxInFlight ?? 1;
  const lingerMs = options.lingerMs ?? 0;
  type Waiter = { input: I; resolve: (o: O) => void; reject: (e: unknown) => void };
  let queue: Waiter[] = [];
  let inFlight = 0;
  let scheduled = false;
  const idle: Array<() => void> = [];

  async function flush(batch: Waiter[]): Promise<void> {
    try {
      const results = await run(batch.map((w) => w.input));
      if (results.length !== batch.length) throw new Error(`batch of ${batch.length} got ${results.length} results`);
      batch.forEach((w, i) => w.resolve(results[i] as O));
    } catch (err) {
      for (const w of batch) w.reject(err);
    }
  }

  function pump(): void {
    scheduled = false;
    while (inFlight < maxInFlight && queue.length > 0) {
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(batch.length);
      inFlight++;
      void flush(batch).finally(() => {
        inFlight--;
        if (queue.length > 0) pump();
        else if (inFlight === 0) idle.splice(0).forEach((f) => f());
      });
    }
  }

  return {
    push(input) {
      return new Promise<O>((resolve, reject) => {
        queue.push({ input, resolve, reject });
        // Gather everything pushed in this tick before the first flush.
        if (!scheduled && inFlight < maxInFlight) {
          scheduled = true;
          if (lingerMs > 0) setTimeout(pump, lingerMs);
          else setImmediate(pump);
        }
      });
    },
    drain() {
      if (queue.length === 0 && inFlight === 0) return Promise.resolve();
      return new Promise<void>((resolve) => idle.push(resolve));
    },
  };
}
