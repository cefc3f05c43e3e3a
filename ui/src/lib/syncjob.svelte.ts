// The storefront sync the app runs, kept above the pages so its progress
// stays on screen while the owner moves around, and so any page (Welcome
// after connecting, Settings) can start it.
import type { SyncProgress } from './bindings/SyncProgress';
import type { SyncReport } from './bindings/SyncReport';
import { type Backend, toBackendError } from './transport';

export class SyncJob {
  running = $state(false);
  progress = $state<SyncProgress | null>(null);
  report = $state<SyncReport | null>(null);
  error = $state<string | null>(null);

  constructor(
    private backend: Backend,
    private onFinished: () => void,
  ) {}

  async start(full: boolean) {
    if (this.running) return;
    this.running = true;
    this.progress = null;
    this.report = null;
    this.error = null;
    try {
      this.report = (await this.backend.syncNow(full, (p) => (this.progress = p))).report;
    } catch (e) {
      const err = toBackendError(e);
      this.error =
        err.code === 'cancelled'
          ? 'Sync cancelled. Everything pulled so far is kept; the next sync continues from there.'
          : err.code === 'network'
            ? `${err.message} Sync again to continue from where it stopped.`
            : err.message;
    } finally {
      this.running = false;
      this.onFinished();
    }
  }

  cancel() {
    return this.backend.cancelJob();
  }
}
