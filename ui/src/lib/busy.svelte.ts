// One panel's work in progress: while a job runs its buttons are disabled;
// afterwards it shows the job's error or the notice the job left.
import { toBackendError } from './transport';

export class Busy {
  working = $state(false);
  error = $state<string | null>(null);
  notice = $state<string | null>(null);

  /** Runs `job` with the panel busy, clearing the last error and notice. */
  async run(job: () => Promise<void>): Promise<void> {
    this.working = true;
    this.error = null;
    this.notice = null;
    try {
      await job();
    } catch (e) {
      this.error = toBackendError(e).message;
    } finally {
      this.working = false;
    }
  }

  /** Shows a failure outside `run` (a load on opening). */
  fail(e: unknown): void {
    this.error = toBackendError(e).message;
  }
}
