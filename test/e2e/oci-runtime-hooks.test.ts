// OCI hooks through `hutch runtime` (runtime-spec config.md "POSIX-platform
// Hooks"): each hook gets the state JSON on stdin, they run in the order of the
// lifecycle, a failing createRuntime hook aborts create and leaves no
// container, and a hook that outlives its timeout is killed.
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { makeOciBundle, ociRuntime, ociRuntimeToFiles, ociState, processAlive, waitForStatus, writeConfig, type OciState } from '../helpers/lifecycle-oci.js';

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

/** A hook that saves its stdin as DIR/NAME.json and appends NAME to DIR/order (hooks get no PATH). */
function recorder(dir: string, name: string): { path: string; args: string[] } {
  return { path: '/bin/sh', args: ['sh', '-c', `/bin/cat > ${dir}/${name}.json; echo ${name} >> ${dir}/order`] };
}

async function waitForFile(path: string): Promise<string> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const text = await readFile(path, 'utf8').catch(() => null);
    if (text !== null) return text;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${path} never appeared`);
}

test('hooks run in lifecycle order, each with the state JSON on stdin', async (t) => {
  const bundle = await makeOciBundle((config) => {
    config.process.args = ['sh', '-c', 'echo process >> /out/order; exec sleep 1000'];
    config.annotations = { 'org.example.hooks': 'yes' };
  });
  t.teardown(() => bundle.remove());
  const host = bundle.out;
  const config = JSON.parse(await readFile(join(bundle.dir, 'config.json'), 'utf8')) as Record<string, any>;
  config.hooks = {
    createRuntime: [recorder(host, 'createRuntime')],
    // Runs in the container's namespaces before pivot_root: host paths are still visible.
    createContainer: [recorder(host, 'createContainer')],
    // Runs inside the container after pivot_root: the path is the container's busybox sh, /out the bound host dir.
    startContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'cat > /out/startContainer.json; echo startContainer >> /out/order'] }],
    poststart: [recorder(host, 'poststart')],
    poststop: [recorder(host, 'poststop')],
  };
  await writeConfig(bundle, config);

  const created = await ociRuntimeToFiles(bundle, ['create', '--bundle', bundle.dir, 'h1'], 'create-h1');
  t.is(created.exitCode, 0, created.stderr);
  t.is(await readFile(join(host, 'order'), 'utf8'), 'createRuntime\ncreateContainer\n', 'start-time hooks ran at create');
  const started = await ociRuntime(bundle.root, ['start', 'h1']);
  t.is(started.exitCode, 0, started.stderr);
  const { pid } = await ociState(bundle, 'h1');
  t.is((await ociRuntime(bundle.root, ['kill', 'h1', 'KILL'])).exitCode, 0);
  await waitForStatus(bundle, 'h1', 'stopped');
  t.is((await ociRuntime(bundle.root, ['delete', 'h1'])).exitCode, 0);

  const order = (await readFile(join(host, 'order'), 'utf8')).trim().split('\n');
  // The process line may land before or after poststart (poststart runs after execve, concurrently with it).
  t.deepEqual(order.filter((name) => name !== 'process'), ['createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop']);
  t.true(order.indexOf('process') > order.indexOf('startContainer'));

  const expected: Record<string, OciState['status']> = {
    createRuntime: 'creating',
    createContainer: 'creating',
    startContainer: 'created',
    poststart: 'running',
    poststop: 'stopped',
  };
  for (const [hook, status] of Object.entries(expected)) {
    const state = JSON.parse(await readFile(join(host, `${hook}.json`), 'utf8')) as OciState;
    t.is(state.id, 'h1', hook);
    t.is(state.status, status, hook);
    t.is(state.bundle, bundle.dir, hook);
    t.regex(state.ociVersion, /^1\.\d+\.\d+/, hook);
    t.deepEqual(state.annotations, { 'org.example.hooks': 'yes' }, hook);
    if (status !== 'stopped') t.is(state.pid, pid, `${hook} pid`);
  }
});

test('a failing createRuntime hook aborts create and leaves no container', async (t) => {
  const bundle = await makeOciBundle((config) => {
    config.process.args = ['sh', '-c', 'echo ran > /out/ran'];
    config.hooks = { createRuntime: [{ path: '/bin/false' }], createContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'echo x > /dev/null'] }] };
  });
  t.teardown(() => bundle.remove());
  const created = await ociRuntimeToFiles(bundle, ['create', '--bundle', bundle.dir, 'h2'], 'create-h2');
  t.not(created.exitCode, 0);
  t.regex(created.stderr, /createRuntime/);
  t.regex(created.stderr, /\/bin\/false/);
  t.not((await ociRuntime(bundle.root, ['state', 'h2'])).exitCode, 0);
  t.false(await exists(join(bundle.root, 'h2')));
  t.is((await ociRuntime(bundle.root, ['list', '--quiet'])).stdout.trim(), '');
  t.false(await exists(join(bundle.out, 'ran')));
});

test('a hook that outlives its timeout is killed and create fails', async (t) => {
  const bundle = await makeOciBundle((config) => {
    config.process.args = ['true'];
  });
  t.teardown(() => bundle.remove());
  const config = JSON.parse(await readFile(join(bundle.dir, 'config.json'), 'utf8')) as Record<string, any>;
  config.hooks = { createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', `echo $$ > ${bundle.out}/hook-pid; exec /bin/sleep 600`], timeout: 1 }] };
  await writeConfig(bundle, config);
  const created = await ociRuntimeToFiles(bundle, ['create', '--bundle', bundle.dir, 'h3'], 'create-h3');
  t.not(created.exitCode, 0);
  t.regex(created.stderr, /timed out/);
  const hookPid = Number((await waitForFile(join(bundle.out, 'hook-pid'))).trim());
  t.false(await processAlive(hookPid), 'the timed-out hook still runs');
  t.false(await exists(join(bundle.root, 'h3')));
});

test('a failing poststart or poststop hook is only a warning', async (t) => {
  const bundle = await makeOciBundle((config) => {
    config.process.args = ['sh', '-c', 'exec sleep 1000'];
    config.hooks = { poststart: [{ path: '/bin/false' }], poststop: [{ path: '/bin/false' }] };
  });
  t.teardown(() => bundle.remove());
  const created = await ociRuntimeToFiles(bundle, ['create', '--bundle', bundle.dir, 'h4'], 'create-h4');
  t.is(created.exitCode, 0, created.stderr);
  const started = await ociRuntime(bundle.root, ['start', 'h4']);
  t.is(started.exitCode, 0, started.stderr);
  t.regex(started.stderr, /poststart/);
  t.is((await ociState(bundle, 'h4')).status, 'running');
  t.is((await ociRuntime(bundle.root, ['kill', 'h4', 'KILL'])).exitCode, 0);
  await waitForStatus(bundle, 'h4', 'stopped');
  const deleted = await ociRuntime(bundle.root, ['delete', 'h4']);
  t.is(deleted.exitCode, 0, deleted.stderr);
  t.regex(deleted.stderr, /poststop/);
  t.false(await exists(join(bundle.root, 'h4')));
});

test('a failing startContainer hook fails start and stops the container', async (t) => {
  const bundle = await makeOciBundle((config) => {
    config.process.args = ['sh', '-c', 'echo ran > /out/ran'];
    config.hooks = { startContainer: [{ path: '/bin/false' }] };
  });
  t.teardown(() => bundle.remove());
  const created = await ociRuntimeToFiles(bundle, ['create', '--bundle', bundle.dir, 'h5'], 'create-h5');
  t.is(created.exitCode, 0, created.stderr);
  const started = await ociRuntime(bundle.root, ['start', 'h5']);
  t.not(started.exitCode, 0);
  t.regex(started.stderr, /startContainer/);
  await waitForStatus(bundle, 'h5', 'stopped');
  t.false(await exists(join(bundle.out, 'ran')));
  t.is((await ociRuntime(bundle.root, ['delete', 'h5'])).exitCode, 0);
});
