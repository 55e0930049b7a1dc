// `hutch unpause CONTAINER...`: see pause.ts.
import { pauseCommand } from './pause.js';

export default pauseCommand('unpause');
