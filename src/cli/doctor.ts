// `hutch doctor`: the host probes as a checklist with the fix for each
// failing item. Exits 1 (without an error message) when a required item fails.
import type { CommandModule } from 'yargs';
import { createContext, type GlobalOptions } from './context.js';

const doctor: CommandModule<GlobalOptions, GlobalOptions> = {
  command: 'doctor',
  describe: 'Check that this host can run rootless containers, and say how to fix what is missing',
  handler: async (argv) => {
    const ctx = createContext(argv);
    const [{ gatherHostReport }, { buildChecklist, requiredPass }, { checklistStyle, renderChecklist }] = await Promise.all([
      import('../host/report.js'),
      import('../host/checklist.js'),
      import('../host/checklist-text.js'),
    ]);
    const items = buildChecklist(await gatherHostReport(ctx.paths, { storageOpts: ctx.storageOpts }));
    process.stdout.write(`${renderChecklist(items, checklistStyle(process.stdout))}\n`);
    if (!requiredPass(items)) process.exitCode = 1;
  },
};

export default doctor;
