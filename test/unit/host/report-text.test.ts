import test from 'ava';
import { renderHostReport } from '../../../src/host/report-text.js';
import { healthyReport } from './fixtures/host-report.js';

test('the cgroups group says where containers go and whether pause and limits work, or why not', (t) => {
  const r = healthyReport();
  const text = renderHostReport(r);
  t.regex(text, /^ +containers in: +\/user.slice\/user-1000.slice\/user@1000.service\/app.slice \(writable; cpu memory pids\)$/m);
  t.regex(text, /^ +pause: +yes \(cgroup v2 freezer\)$/m);
  t.regex(text, /^ +resource limits: +yes \(cpu, memory, pids\)$/m);
  r.cgroups.chain.at(-1)!.writable = false;
  t.regex(renderHostReport(r), /^ +pause: +no: \/sys\/fs\/cgroup\/user.slice\/user-1000.slice\/user@1000.service\/app.slice, the parent of your cgroup .*, is not delegated to you/m);
});
