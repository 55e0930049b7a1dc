// `hutch info`: what hutch found on this host, grouped (host, user, idmaps,
// namespaces, storage, runtime, network, cgroups), as text, JSON or a template.
import type { CommandModule } from 'yargs';
import { createContext, type GlobalOptions } from './context.js';

/** Options of `hutch info`. */
export interface InfoOptions extends GlobalOptions {
  format?: string;
}

const info: CommandModule<GlobalOptions, InfoOptions> = {
  command: 'info',
  describe: 'Show host facts: user namespaces, id ranges, storage, runtime, network, cgroups',
  builder: (yargs) =>
    yargs.option('format', {
      alias: 'f',
      type: 'string',
      describe: '`json`, or a Go-template-like string such as {{.host.kernel}}',
    }),
  handler: async (argv) => {
    const ctx = createContext(argv);
    const { gatherHostReport } = await import('../host/report.js');
    const report = await gatherHostReport(ctx.paths, { storageOpts: ctx.storageOpts });
    if (argv.format === 'json') {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } else if (argv.format) {
      const { renderTemplate } = await import('./format.js');
      process.stdout.write(`${renderTemplate(argv.format, report as unknown as Record<string, unknown>)}\n`);
    } else {
      const { renderHostReport } = await import('../host/report-text.js');
      process.stdout.write(`${renderHostReport(report)}\n`);
    }
  },
};

export default info;
