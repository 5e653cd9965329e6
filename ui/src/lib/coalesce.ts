// Collapses bursts of refresh requests: the engine can report changes many times a second, and
// each view should re-read at most once at a time, plus once more if anything changed meanwhile.

/** Runs `task` at most once at a time; calls during a run collapse into a single rerun after it. */
export function coalesce(task: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null;
  let again = false;
  const run = async (): Promise<void> => {
    try {
      await task();
    } finally {
      running = null;
      if (again) {
        again = false;
        void start();
      }
    }
  };
  const start = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = run();
    return running;
  };
  return start;
}
