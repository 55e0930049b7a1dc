import test from 'ava';
import { buildChecklist, requiredPass, type ChecklistItem } from '../../../src/host/checklist.js';
import type { HostReport } from '../../../src/host/report.js';
import { healthyReport } from './fixtures/host-report.js';

function item(items: ChecklistItem[], id: string): ChecklistItem {
  const found = items.find((i) => i.id === id);
  if (!found) throw new Error(`no checklist item ${id}`);
  return found;
}

function failing(items: ChecklistItem[]): string[] {
  return items.filter((i) => !i.ok).map((i) => i.id);
}

test('a healthy host passes every item', (t) => {
  const items = buildChecklist(healthyReport());
  t.deepEqual(failing(items), []);
  t.true(requiredPass(items));
  t.true(items.every((i) => i.fix.length === 0));
});

test('missing subuid and subgid ranges: one usermod line with the real user name and a free range', (t) => {
  const r = healthyReport();
  r.idmaps.subuid = { file: '/etc/subuid', readable: true, ranges: [], total: 0 };
  r.idmaps.subgid = { file: '/etc/subgid', readable: false, ranges: [], total: 0, error: 'ENOENT' };
  const items = buildChecklist(r);
  t.deepEqual(failing(items), ['subuid', 'subgid']);
  t.false(requiredPass(items));
  t.deepEqual(item(items, 'subuid').fix, ['sudo usermod --add-subuids 165536-231071 --add-subgids 165536-231071 alice']);
  t.deepEqual(item(items, 'subgid').fix, ['(the usermod line above adds both ranges)']);
  t.regex(item(items, 'subgid').detail, /ENOENT/);
});

test('only the missing kind is added', (t) => {
  const r = healthyReport();
  r.idmaps.subgid = { file: '/etc/subgid', readable: true, ranges: [], total: 0 };
  t.deepEqual(item(buildChecklist(r), 'subgid').fix, ['sudo usermod --add-subgids 165536-231071 alice']);
});

test('root needs no subordinate ranges or uidmap tools', (t) => {
  const r = healthyReport();
  r.user = { name: 'root', uid: 0, gid: 0, rootless: false };
  r.idmaps.subuid = { file: '/etc/subuid', readable: true, ranges: [], total: 0 };
  r.idmaps.newuidmap = { path: null, setuidRoot: false, capabilities: null, privileged: false };
  t.true(requiredPass(buildChecklist(r)));
});

test('kernel.unprivileged_userns_clone=0: sysctl and its persistence line', (t) => {
  const r = healthyReport();
  r.namespaces.sysctls.unprivilegedUsernsClone = 0;
  r.namespaces.userNamespace = { ok: false, error: 'unshare CLONE_NEWUSER: EPERM' };
  r.namespaces.overlay = { ok: false, error: 'skipped: no user namespace', testedIn: '' };
  const items = buildChecklist(r);
  t.false(requiredPass(items));
  t.deepEqual(item(items, 'unprivileged-userns-clone').fix, [
    'sudo sysctl -w kernel.unprivileged_userns_clone=1',
    "echo 'kernel.unprivileged_userns_clone=1' | sudo tee /etc/sysctl.d/60-hutch-userns.conf",
  ]);
  const userns = item(items, 'user-namespace');
  t.false(userns.ok);
  t.regex(userns.detail, /EPERM/);
  t.deepEqual(userns.fix, ['fix the kernel setting items above']);
});

test('user.max_user_namespaces=0', (t) => {
  const r = healthyReport();
  r.namespaces.sysctls.maxUserNamespaces = 0;
  r.namespaces.userNamespace = { ok: false, error: 'unshare CLONE_NEWUSER: ENOSPC' };
  const fix = item(buildChecklist(r), 'max-user-namespaces').fix;
  t.is(fix[0], 'sudo sysctl -w user.max_user_namespaces=28633');
  t.regex(fix[1]!, /\/etc\/sysctl\.d\//);
});

test('absent sysctls are not failures', (t) => {
  const r = healthyReport();
  r.namespaces.sysctls = { unprivilegedUsernsClone: null, maxUserNamespaces: null, apparmorRestrictUnprivilegedUserns: null };
  t.deepEqual(failing(buildChecklist(r)), []);
});

test('Ubuntu AppArmor restriction: profile file content for node and hutch-runtime, or the sysctl', (t) => {
  const r = healthyReport();
  r.host.distro = { id: 'ubuntu', idLike: ['debian'], versionId: '24.04', prettyName: 'Ubuntu 24.04 LTS', family: 'debian' };
  r.namespaces.sysctls.apparmorRestrictUnprivilegedUserns = 1;
  r.namespaces.overlay = { ok: false, error: 'mount overlay: EPERM', testedIn: '/tmp' };
  r.runtime.node = '/usr/local/bin/node';
  const items = buildChecklist(r);
  const aa = item(items, 'apparmor-userns');
  t.false(aa.ok);
  t.is(aa.severity, 'required');
  const text = aa.fix.join('\n');
  t.true(text.includes("sudo tee /etc/apparmor.d/hutch >/dev/null <<'EOF'"));
  t.true(text.includes('profile hutch /usr/local/bin/node flags=(unconfined) {\n  userns,'));
  t.true(text.includes('profile hutch-runtime /usr/lib/node_modules/hutch/build/Release/hutch-runtime flags=(unconfined) {\n  userns,'));
  t.true(text.includes('sudo apparmor_parser -r /etc/apparmor.d/hutch'));
  t.true(text.includes('sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0'));
  t.false(requiredPass(items));
});

test('AppArmor restriction is fine when the probes show a profile already allows hutch', (t) => {
  const r = healthyReport();
  r.namespaces.sysctls.apparmorRestrictUnprivilegedUserns = 1;
  const aa = item(buildChecklist(r), 'apparmor-userns');
  t.true(aa.ok);
  t.regex(aa.detail, /profile already allows/);
});

test('storage on NFS is a required failure with --root and XDG_DATA_HOME fixes', (t) => {
  const r = healthyReport();
  r.storage.root = { ...r.storage.root, fsType: 'nfs', fsMagic: 0x6969 };
  const items = buildChecklist(r);
  const nfs = item(items, 'storage-filesystem');
  t.false(nfs.ok);
  t.is(nfs.severity, 'required');
  t.true(nfs.fix.some((f) => f.startsWith('hutch --root /var/tmp/hutch-alice')));
  t.true(nfs.fix.some((f) => f.includes('XDG_DATA_HOME=')));
  t.false(requiredPass(items));
});

test('missing uidmap: the package command of the distro family', (t) => {
  const cases: [HostReport['host']['distro']['family'], string][] = [
    ['debian', 'sudo apt-get install uidmap'],
    ['fedora', 'sudo dnf install shadow-utils'],
    ['arch', 'sudo pacman -S shadow'],
  ];
  for (const [family, command] of cases) {
    const r = healthyReport();
    r.host.distro.family = family;
    r.idmaps.newuidmap = { path: null, setuidRoot: false, capabilities: null, privileged: false };
    t.deepEqual(item(buildChecklist(r), 'newuidmap').fix, [command]);
  }
});

test('unknown distro: every family\'s command, labelled', (t) => {
  const r = healthyReport();
  r.host.distro.family = 'unknown';
  r.idmaps.newgidmap = { path: null, setuidRoot: false, capabilities: null, privileged: false };
  t.deepEqual(item(buildChecklist(r), 'newgidmap').fix, [
    'Debian/Ubuntu: sudo apt-get install uidmap',
    'Fedora/RHEL: sudo dnf install shadow-utils',
    'Arch: sudo pacman -S shadow',
  ]);
});

test('an installed but unprivileged newuidmap is a failure', (t) => {
  const r = healthyReport();
  r.idmaps.newuidmap = { path: '/usr/bin/newuidmap', setuidRoot: false, capabilities: null, privileged: false };
  const it = item(buildChecklist(r), 'newuidmap');
  t.false(it.ok);
  t.deepEqual(it.fix, ['sudo chown root /usr/bin/newuidmap', 'sudo chmod u+s /usr/bin/newuidmap']);
  r.host.distro.family = 'fedora';
  t.deepEqual(item(buildChecklist(r), 'newuidmap').fix, ['sudo setcap cap_setuid+ep /usr/bin/newuidmap']);
});

// hutch in a login session's scope: its parent, user-1000.slice, belongs to root.
function inSessionScope(r: ReturnType<typeof healthyReport>): void {
  r.cgroups.path = '/user.slice/user-1000.slice/session-3.scope';
  r.cgroups.current = { path: r.cgroups.path, writable: false, subtreeWritable: false, controllers: ['cpu', 'memory', 'pids'], subtreeControl: [], hasProcesses: true };
  r.cgroups.chain = r.cgroups.chain.slice(0, 3);
}

test('a healthy delegated host passes every cgroup item', (t) => {
  const items = buildChecklist(healthyReport());
  for (const id of ['cgroup-v2', 'cgroup-delegation', 'cgroup-controllers']) t.true(item(items, id).ok, id);
  t.regex(item(items, 'cgroup-delegation').detail, /user@1000.service\/app.slice/);
});

test('no cgroup delegation is only recommended; systemd-run when user@.service is delegated', (t) => {
  const r = healthyReport();
  inSessionScope(r);
  const items = buildChecklist(r);
  const cg = item(items, 'cgroup-delegation');
  t.false(cg.ok);
  t.is(cg.severity, 'recommended');
  t.regex(cg.detail, /\/sys\/fs\/cgroup\/user.slice\/user-1000.slice, the parent of your cgroup .*session-3.scope, is not delegated to you/);
  t.regex(cg.fix[0]!, /^systemd-run --user --scope hutch run/);
  t.true(requiredPass(items));
});

test('no user@.service: lingering and the Delegate= drop-in', (t) => {
  const r = healthyReport();
  inSessionScope(r);
  r.cgroups.userService = null;
  const fix = item(buildChecklist(r), 'cgroup-delegation').fix.join('\n');
  t.regex(fix, /^loginctl enable-linger/);
  t.true(fix.includes('/etc/systemd/system/user@.service.d/delegate.conf'));
  t.true(fix.includes('Delegate=cpu cpuset io memory pids'));
});

test('delegated without the cpu and memory controllers: pause works, limits need Delegate=', (t) => {
  const r = healthyReport();
  const service = r.cgroups.chain[3]!;
  service.subtreeControl = ['pids'];
  service.subtreeWritable = false;
  const items = buildChecklist(r);
  t.true(item(items, 'cgroup-delegation').ok);
  const limits = item(items, 'cgroup-controllers');
  t.false(limits.ok);
  t.regex(limits.detail, /the memory controller is not enabled in \/sys\/fs\/cgroup\/user.slice\/user-1000.slice\/user@1000.service\/cgroup.subtree_control, which is not writable by you/);
  t.true(limits.fix.join('\n').includes('Delegate=cpu cpuset io memory pids'));
});

test('hybrid layout: the controllers belong to cgroup v1', (t) => {
  const r = healthyReport();
  r.cgroups.version = 'hybrid';
  r.cgroups.mount = '/sys/fs/cgroup/unified';
  for (const level of r.cgroups.chain) {
    level.controllers = [];
    level.subtreeControl = [];
  }
  r.cgroups.chain[0]!.controllers = ['hugetlb'];
  const items = buildChecklist(r);
  t.false(item(items, 'cgroup-v2').ok);
  t.true(item(items, 'cgroup-delegation').ok, 'the freezer needs no controller');
  const limits = item(items, 'cgroup-controllers');
  t.regex(limits.detail, /the memory controller is not available in \/sys\/fs\/cgroup\/unified \(cgroup.controllers: hugetlb\): this hybrid layout binds it to cgroup v1/);
  t.regex(limits.fix.join('\n'), /systemd.unified_cgroup_hierarchy=1/);
});

test('seccomp unavailable: install libseccomp', (t) => {
  const r = healthyReport();
  r.runtime.seccomp = { ok: false, error: 'dlopen libseccomp.so.2: ENOENT' };
  const items = buildChecklist(r);
  t.deepEqual(item(items, 'seccomp').fix, ['sudo apt-get install libseccomp2']);
  t.false(requiredPass(items));
});

test('without the native addon the probes are reported as not tested, and that fails', (t) => {
  const r = healthyReport();
  r.runtime.addon = { loaded: false, error: 'cannot find hutch.node (tried build/Release/hutch.node)' };
  r.namespaces.userNamespace = null;
  r.namespaces.overlay = null;
  r.runtime.seccomp = null;
  r.runtime.rootfsMode = 'fuse-overlayfs';
  const items = buildChecklist(r);
  t.deepEqual(failing(items), ['native-addon', 'user-namespace', 'seccomp']);
  t.regex(item(items, 'user-namespace').detail, /not tested/);
});

test('copy rootfs mode is a recommended failure suggesting fuse-overlayfs', (t) => {
  const r = healthyReport();
  r.namespaces.overlay = { ok: false, error: 'mount overlay: EINVAL', testedIn: '/tmp' };
  r.runtime.rootfsMode = 'copy';
  r.runtime.fuseOverlayfs = { path: null, devFuse: true, mount: null };
  const items = buildChecklist(r);
  t.deepEqual(item(items, 'rootfs').fix, ['sudo apt-get install fuse-overlayfs']);
  t.true(requiredPass(items));
});
