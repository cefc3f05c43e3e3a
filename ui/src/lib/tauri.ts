import { Channel, invoke } from '@tauri-apps/api/core';
import { open } from '@tauri-apps/plugin-dialog';
import type { Progress } from './bindings/Progress';
import { type Backend, toBackendError } from './transport';

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    throw toBackendError(e);
  }
}

function progressChannel(onProgress: (p: Progress) => void): Channel<Progress> {
  const channel = new Channel<Progress>();
  channel.onmessage = onProgress;
  return channel;
}

export const tauriBackend: Backend = {
  status: () => call('app_status'),
  openDemo: (onProgress) => call('open_demo', { onProgress: progressChannel(onProgress) }),
  openOwnShop: () => call('open_own_shop'),
  saveShop: (shop) => call('save_shop', { shop }),
  importFile: (kind, path, onProgress) =>
    call('import_file', { kind, path, onProgress: progressChannel(onProgress) }),
  cancelJob: () => call('cancel_job'),
  dashboard: (request) => call('dashboard', { request }),
  pickFile: async () => {
    const picked = await open({
      multiple: false,
      directory: false,
      filters: [{ name: 'CSV files', extensions: ['csv', 'gz', 'txt'] }],
    });
    return typeof picked === 'string' ? picked : null;
  },
  painted: () => call('app_painted', { pageMs: performance.now() }),
};
