// `hutch container <command>`: the container management group (podman's `container` verbs).
import type { CommandModule } from 'yargs';
import type { GlobalOptions } from './context.js';
import attach from './attach.js';
import containerCleanup from './container-cleanup.js';
import containerInspect from './container-inspect.js';
import containerPrune from './container-prune.js';
import cp from './cp.js';
import create from './create.js';
import diff from './diff.js';
import stats from './stats.js';
import exec from './exec.js';
import exportCommand from './export.js';
import kill from './kill.js';
import logs from './logs.js';
import { pauseCommand } from './pause.js';
import port from './port.js';
import { psCommand } from './ps.js';
import rename from './rename.js';
import restart from './restart.js';
import { rmCommand } from './rm.js';
import run from './run.js';
import start from './start.js';
import stop from './stop.js';
import top from './top.js';
import wait from './wait.js';

const container: CommandModule<GlobalOptions, GlobalOptions> = {
  command: 'container <command>',
  describe: 'Manage containers',
  builder: (yargs) =>
    yargs
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      .command([psCommand('ls', ['list', 'ps']), create, run, start, stop, kill, restart, rmCommand('rm'), wait, logs, exec, attach, containerInspect, top, port, cp, diff, exportCommand, stats, rename, containerPrune, pauseCommand('pause'), pauseCommand('unpause'), containerCleanup] as CommandModule<GlobalOptions, any>[])
      .demandCommand(1),
  handler: () => {},
};

export default container;
