import { Channel, invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import { open, save } from '@tauri-apps/plugin-dialog';
import type { WatchEvent } from './bindings/WatchEvent';
import { commands } from './bindings/commands';
import { type Backend, toBackendError } from './transport';

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    throw toBackendError(e);
  }
}

function channel<P>(onProgress: (p: P) => void): Channel<P> {
  const c = new Channel<P>();
  c.onmessage = onProgress;
  return c;
}

export const tauriBackend: Backend = {
  ...commands(call, channel),
  pickFile: async () => {
    const picked = await open({
      multiple: false,
      directory: false,
      filters: [{ name: 'CSV files', extensions: ['csv', 'gz', 'txt'] }],
    });
    return typeof picked === 'string' ? picked : null;
  },
  pickSavePath: async (suggested) => {
    const picked = await save({ defaultPath: suggested, filters: [{ name: 'CSV files', extensions: ['csv'] }] });
    return typeof picked === 'string' ? picked : null;
  },
  painted: () => call('app_painted', { pageMs: performance.now() }),
  onDeskEvent: (listener) => {
    const stop = listen<WatchEvent>('desk-event', (e) => listener(e.payload));
    return () => void stop.then((unlisten) => unlisten());
  },
};
