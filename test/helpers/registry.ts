// Test fixture: a private Debian `docker-registry` (distribution 2.8) on a free
// loopback port with its own config and storage, optionally behind htpasswd
// basic auth, torn down (process and files) by stop().
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa, type ResultPromise } from 'execa';

/** A running registry fixture. */
export interface TestRegistry {
  /** `127.0.0.1:PORT`, the registry part of an image reference. */
  host: string;
  /** `http://127.0.0.1:PORT`. */
  url: string;
  username?: string;
  password?: string;
  /** The Authorization header value when auth is on, else undefined. */
  authorization?: string;
  /** Stops the registry and removes its config and storage. */
  stop(): Promise<void>;
}

const REGISTRY_BIN = 'docker-registry';
const START_TIMEOUT_MS = 20_000;

/** Starts a registry; `auth: true` requires basic auth with a generated user and password. */
export async function startRegistry(options: { auth?: boolean } = {}): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'hutch-registry-'));
  try {
    const credentials = options.auth ? await writeHtpasswd(dir) : undefined;
    // A port picked by the kernel can be taken again before the registry binds it; retry on that race.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      // launch() wraps the subprocess: an async function returning the (thenable) subprocess would await its exit.
      const launched = await launch(dir, port, credentials !== undefined);
      if (launched !== null) return fixture(dir, port, launched.child, credentials);
      if (attempt === 3) throw new Error(`docker-registry did not start; log:\n${await readLog(dir)}`);
    }
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

function fixture(dir: string, port: number, child: ResultPromise, credentials: { username: string; password: string } | undefined): TestRegistry {
  const host = `127.0.0.1:${port}`;
  return {
    host,
    url: `http://${host}`,
    ...(credentials === undefined ? {} : {
      ...credentials,
      authorization: `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`,
    }),
    async stop() {
      child.kill('SIGTERM');
      await child.catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function launch(dir: string, port: number, auth: boolean): Promise<{ child: ResultPromise } | null> {
  const configPath = join(dir, 'config.yml');
  await writeFile(configPath, configYaml(dir, port, auth));
  const child = execa(REGISTRY_BIN, ['serve', configPath], {
    reject: false,
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: { file: join(dir, 'registry.log') },
  });
  let exited = false;
  let spawnError: string | undefined;
  void child.then((result) => {
    exited = true;
    if (result.exitCode === undefined && result.signal === undefined) spawnError = result.shortMessage;
  });
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline && !exited) {
    const status = await probe(port);
    // Auth mode answers the ping with 401 + WWW-Authenticate; both mean "serving".
    if (status === 200 || status === 401) return { child };
    await sleep(50);
  }
  const timedOut = !exited;
  child.kill('SIGKILL');
  await child;
  if (spawnError !== undefined) throw new Error(`cannot start ${REGISTRY_BIN} (${spawnError}); install it: apt-get install docker-registry`);
  if (timedOut) throw new Error(`docker-registry on 127.0.0.1:${port} did not answer GET /v2/ within ${START_TIMEOUT_MS} ms; log:\n${await readLog(dir)}`);
  return null;
}

async function probe(port: number): Promise<number | null> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/v2/`);
    await response.arrayBuffer();
    return response.status;
  } catch {
    return null;
  }
}

// distribution's configuration reference: storage.filesystem, http.addr, auth.htpasswd.
function configYaml(dir: string, port: number, auth: boolean): string {
  const lines = [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${JSON.stringify(join(dir, 'storage'))}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
  ];
  if (auth) lines.push('auth:', '  htpasswd:', '    realm: hutch-test', `    path: ${JSON.stringify(join(dir, 'htpasswd'))}`);
  return `${lines.join('\n')}\n`;
}

// distribution only accepts bcrypt entries; `htpasswd -B` from apache2-utils writes them.
async function writeHtpasswd(dir: string): Promise<{ username: string; password: string }> {
  const username = 'hutch';
  const password = `pw-${Math.random().toString(36).slice(2, 12)}`;
  const result = await execa('htpasswd', ['-nbB', username, password], { reject: false });
  if (result.failed) {
    throw new Error(`cannot create a bcrypt htpasswd entry (${result.shortMessage}); install apache2-utils: apt-get install apache2-utils`);
  }
  await writeFile(join(dir, 'htpasswd'), `${result.stdout.trim()}\n`);
  return { username, password };
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('could not allocate a loopback port');
  return address.port;
}

async function readLog(dir: string): Promise<string> {
  return readFile(join(dir, 'registry.log'), 'utf8').catch(() => '(no log)');
}
