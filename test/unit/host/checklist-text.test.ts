import test from 'ava';
import { buildChecklist } from '../../../src/host/checklist.js';
import { checklistStyle, renderChecklist } from '../../../src/host/checklist-text.js';
import { healthyReport } from './fixtures/host-report.js';

test('plain marks without a TTY or with NO_COLOR', (t) => {
  t.false(checklistStyle({ isTTY: false }, {}).fancy);
  t.false(checklistStyle({ isTTY: true }, { NO_COLOR: '1' }).fancy);
  t.true(checklistStyle({ isTTY: true }, {}).fancy);
});

test('failing items get [FAIL] and their fix lines; passing ones [ok] and no fix', (t) => {
  const r = healthyReport();
  r.idmaps.subuid = { file: '/etc/subuid', readable: true, ranges: [], total: 0 };
  r.network = { pasta: null, slirp4netns: null };
  const text = renderChecklist(buildChecklist(r), { fancy: false });
  t.regex(text, /^\[FAIL\] Subordinate uid range$/m);
  t.regex(text, /^ +sudo usermod --add-subuids 165536-231071 alice$/m);
  t.regex(text, /^\[ok\] +Subordinate gid range$/m);
  t.regex(text, /^\[WARN\] pasta or slirp4netns for private networking \(recommended\)$/m);
  t.regex(text, /1 required item missing/);
  t.false(text.includes('\x1b['));
  t.is(text.match(/fix:/g)?.length, 2);
});

test('fancy marks use ✔ and ✘', (t) => {
  const r = healthyReport();
  r.storage.root = { ...r.storage.root, fsType: 'nfs' };
  const text = renderChecklist(buildChecklist(r), { fancy: true });
  t.true(text.includes('✔'));
  t.true(text.includes('✘'));
});

test('all required items passing says so', (t) => {
  t.regex(renderChecklist(buildChecklist(healthyReport()), { fancy: false }), /hutch can run containers here\.$/);
});
