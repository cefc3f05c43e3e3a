// A minimal W3C WebDriver client over fetch, enough to drive the app through
// tauri-driver, plus process handling that never leaves a driver behind.
import { spawn } from 'node:child_process';
import { openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

export async function startDriver({ port, logFile, env }) {
  const out = openSync(logFile, 'a');
  // WebKitWebDriver listens on the next port up.
  const child = spawn('tauri-driver', ['--port', String(port), '--native-port', String(port + 1)], {
    detached: true, // its own process group, so teardown can kill WebKitWebDriver too
    stdio: ['ignore', out, out],
    env,
  });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/status`);
      if (r.ok) return child;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  stopDriver(child);
  throw new Error(`tauri-driver did not start on port ${port}; see ${logFile}`);
}

export function stopDriver(child) {
  if (!child || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class Session {
  constructor(base, id) {
    this.base = base;
    this.id = id;
  }

  static async create(port, application) {
    const base = `http://127.0.0.1:${port}`;
    const body = { capabilities: { alwaysMatch: { browserName: 'wry', 'tauri:options': { application } } } };
    const value = await call('POST', `${base}/session`, body);
    return new Session(base, value.sessionId);
  }

  async cmd(method, path, body) {
    return call(method, `${this.base}/session/${this.id}${path}`, body);
  }

  async find(css) {
    const value = await this.cmd('POST', '/element', { using: 'css selector', value: css });
    return value[ELEMENT];
  }

  /** Waits for an element to exist; returns its id. */
  async waitFor(css, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    let last;
    while (Date.now() < deadline) {
      try {
        return await this.find(css);
      } catch (e) {
        last = e;
        await sleep(250);
      }
    }
    throw new Error(`${css} did not appear within ${timeoutMs} ms: ${last}`);
  }

  async text(css) {
    return this.cmd('GET', `/element/${await this.find(css)}/text`);
  }

  /** An attribute of the first element matching `css`. */
  async attribute(css, name) {
    return this.cmd('GET', `/element/${await this.find(css)}/attribute/${name}`);
  }

  /** A DOM property of the first element matching `css` (e.g. an input's value). */
  async property(css, name) {
    return this.cmd('GET', `/element/${await this.find(css)}/property/${name}`);
  }

  async click(css) {
    await this.cmd('POST', `/element/${await this.find(css)}/click`, {});
  }

  /** Types into an input, as the keyboard would; '' empties it as select
   * all and Delete would (the driver refuses empty text). */
  async type(css, text) {
    const id = await this.find(css);
    if (text === '') {
      await this.cmd('POST', `/element/${id}/value`, { text: '\uE009a\uE000\uE017' });
      return;
    }
    await this.cmd('POST', `/element/${id}/clear`, {});
    await this.cmd('POST', `/element/${id}/value`, { text });
  }

  /** Waits until the element's text matches `pattern`; returns the text. */
  async waitForText(css, pattern, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      try {
        last = await this.text(css);
        if (pattern.test(last)) return last;
      } catch {
        // not there yet
      }
      await sleep(250);
    }
    throw new Error(`${css} did not show ${pattern} within ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
  }

  async screenshot() {
    // WebKitWebDriver answers on the next paint, and a page where nothing
    // changes never paints: keep one invisible pixel changing meanwhile.
    await this.cmd('POST', '/execute/sync', {
      script: `if (!window.__repaint) {
        const px = document.createElement('div');
        px.style.cssText = 'position:fixed;left:0;top:0;width:1px;height:1px;opacity:0.01;pointer-events:none';
        document.body.appendChild(px);
        let on = false;
        window.__repaint = setInterval(() => { on = !on; px.style.background = on ? '#000' : '#fff'; }, 50);
      }`,
      args: [],
    });
    return Buffer.from(await this.cmd('GET', '/screenshot'), 'base64');
  }

  async close() {
    try {
      await call('DELETE', `${this.base}/session/${this.id}`);
    } catch {
      // the driver may already be gone
    }
  }
}

async function call(method, url, body) {
  const r = await fetch(url, {
    method,
    headers: body ? { 'content-type': 'application/json' } : undefined,
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await r.json();
  if (!r.ok || (json.value && json.value.error)) {
    throw new Error(`${method} ${url}: ${JSON.stringify(json.value ?? json)}`);
  }
  return json.value;
}

/** Saves a screenshot to `$E2E_SCREENSHOT` (with `suffix`), then ends the
 * session and the driver. Best effort: the test's own result stands. */
export async function closeApp(session, driver, suffix = '') {
  if (session && process.env.E2E_SCREENSHOT) {
    try {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(process.env.E2E_SCREENSHOT.replace(/(\.png)?$/, `${suffix}.png`), await session.screenshot());
    } catch {
      // best effort
    }
  }
  await session?.close();
  stopDriver(driver);
}

/** Builds the demo shop in `dataDir` with the CLI (`run` runs it on that
 * database), then starts the app, which reopens it as the last shop. */
export async function startOnDemo({ run, app, dataDir, port }) {
  run('demo');
  writeFileSync(join(dataDir, 'last-workspace'), 'demo');
  const driver = await startDriver({
    port,
    logFile: join(dataDir, 'tauri-driver.log'),
    env: { ...process.env, MERCHANT_DESK_DATA_DIR: dataDir },
  });
  return { driver, session: await Session.create(port, app) };
}
