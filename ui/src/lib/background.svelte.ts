// The background loop as the side bar sees it: when the shop last synced and
// will next, whether a background sync runs now, and the notification
// centre. It listens to the loop's events and reads the state again when a
// round did something, telling the pages to read their data again.
import type { Background } from './bindings/Background';
import type { Notice } from './bindings/Notice';
import type { SyncProgress } from './bindings/SyncProgress';
import type { WatchEvent } from './bindings/WatchEvent';
import { type Backend, toBackendError } from './transport';

export class BackgroundState {
  status = $state<Background | null>(null);
  notices = $state<Notice[]>([]);
  syncing = $state(false);
  progress = $state<SyncProgress | null>(null);
  error = $state<string | null>(null);
  private stop: () => void;

  constructor(
    private backend: Backend,
    private onChanged: () => void,
  ) {
    this.stop = backend.onDeskEvent((e) => this.heard(e));
  }

  private heard(e: WatchEvent) {
    switch (e.kind) {
      case 'sync_started':
        this.syncing = true;
        this.progress = null;
        break;
      case 'sync_progress':
        this.syncing = true;
        this.progress = e.progress;
        break;
      case 'round':
        this.syncing = false;
        this.progress = null;
        this.refresh();
        if (e.round.synced || e.round.notices.length) this.onChanged();
        break;
      case 'failed':
        this.syncing = false;
        this.error = e.message;
        break;
    }
  }

  async refresh() {
    try {
      this.status = await this.backend.background();
      this.notices = await this.backend.notifications(30);
      this.error = null;
    } catch (e) {
      this.error = toBackendError(e).message;
    }
  }

  async markRead() {
    try {
      this.status = await this.backend.markNotificationsRead();
      this.notices = this.notices.map((n) => ({ ...n, read: true }));
    } catch (e) {
      this.error = toBackendError(e).message;
    }
  }

  async setEvery(minutes: number) {
    this.status = await this.backend.setSyncEvery(minutes);
  }

  close() {
    this.stop();
  }
}
