// The one interface through which the UI reaches the backend. The app uses
// the Tauri implementation; unit tests use the mock one.
import type { AppStatus } from './bindings/AppStatus';
import type { Dashboard } from './bindings/Dashboard';
import type { DashboardRequest } from './bindings/DashboardRequest';
import type { ErrorPayload } from './bindings/ErrorPayload';
import type { ImportKind } from './bindings/ImportKind';
import type { ImportReport } from './bindings/ImportReport';
import type { Progress } from './bindings/Progress';
import type { Shop } from './bindings/Shop';

export interface Backend {
  status(): Promise<AppStatus>;
  openDemo(onProgress: (p: Progress) => void): Promise<AppStatus>;
  openOwnShop(): Promise<AppStatus>;
  saveShop(shop: Shop): Promise<AppStatus>;
  importFile(kind: ImportKind, path: string, onProgress: (p: Progress) => void): Promise<ImportReport>;
  cancelJob(): Promise<void>;
  dashboard(request: DashboardRequest): Promise<Dashboard>;
  /** Asks the user for a file to import; null when they cancel. */
  pickFile(): Promise<string | null>;
  /** Tells the backend the first dashboard is on screen (startup benchmark). */
  painted(): Promise<void>;
}

/** An error as it crosses IPC: `{ code, message }`. */
export class BackendError extends Error {
  code: string;
  constructor(payload: ErrorPayload) {
    super(payload.message);
    this.code = payload.code;
  }
}

export function toBackendError(e: unknown): BackendError {
  if (e instanceof BackendError) return e;
  if (e && typeof e === 'object' && 'code' in e && 'message' in e) {
    return new BackendError(e as ErrorPayload);
  }
  return new BackendError({ code: 'internal', message: String(e) });
}
