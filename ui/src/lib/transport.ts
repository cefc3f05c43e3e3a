// The one interface through which the UI reaches the backend. The commands
// are generated from the Rust contract (bindings/commands.ts); the app uses
// the Tauri implementation, unit tests the mock one in tests/.
import type { Commands } from './bindings/commands';
import type { ErrorCode } from './bindings/ErrorCode';
import type { ErrorPayload } from './bindings/ErrorPayload';
import type { WatchEvent } from './bindings/WatchEvent';
import { FieldError } from './fields';

export interface Backend extends Commands {
  /** Asks the user for a file to import; null when they cancel. */
  pickFile(): Promise<string | null>;
  /** Asks the user where to save a file (`suggested` its name); null when they cancel. */
  pickSavePath(suggested: string): Promise<string | null>;
  /** Tells the backend the first dashboard is on screen (startup benchmark). */
  painted(): Promise<void>;
  /** Hears the background loop (rounds, syncs); returns how to stop listening. */
  onDeskEvent(listener: (event: WatchEvent) => void): () => void;
}

/** An error as it crosses IPC: `{ code, message }`. */
export class BackendError extends Error {
  code: ErrorCode;
  constructor(payload: ErrorPayload) {
    super(payload.message);
    this.code = payload.code;
  }
}

export function toBackendError(e: unknown): BackendError {
  if (e instanceof BackendError) return e;
  if (e instanceof FieldError) return new BackendError({ code: 'invalid_input', message: e.message });
  if (e && typeof e === 'object' && 'code' in e && 'message' in e) {
    return new BackendError(e as ErrorPayload);
  }
  // Tauri refuses arguments it cannot read before the backend sees them
  // ("invalid args `request` for command …"): the forms check their fields
  // first, so this is a field the UI failed to check, not the owner's words.
  const text = String(e);
  if (text.startsWith('invalid args')) {
    return new BackendError({ code: 'invalid_input', message: 'One of the values on this page could not be read: check the fields and try again.' });
  }
  return new BackendError({ code: 'internal', message: text });
}
