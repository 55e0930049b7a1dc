// The printed form of `hutch doctor`: one mark per item, the detail, and the
// fix lines under failing items. Marks are plain ASCII when the output is not
// a terminal or NO_COLOR is set (https://no-color.org), so logs and pipes stay readable.
import type { ChecklistItem } from './checklist.js';

/** Whether to use coloured ✔/✘ marks. */
export interface ChecklistStyle {
  fancy: boolean;
}

/** Decides the style from the stream and the environment. */
export function checklistStyle(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): ChecklistStyle {
  return { fancy: Boolean(stream.isTTY) && (env.NO_COLOR === undefined || env.NO_COLOR === '') };
}

function mark(item: ChecklistItem, style: ChecklistStyle): string {
  if (style.fancy) {
    if (item.ok) return '\x1b[32m✔\x1b[0m';
    return item.severity === 'required' ? '\x1b[31m✘\x1b[0m' : '\x1b[33m✘\x1b[0m';
  }
  if (item.ok) return '[ok]  ';
  return item.severity === 'required' ? '[FAIL]' : '[WARN]';
}

/** Renders the checklist and a one-line verdict. */
export function renderChecklist(items: ChecklistItem[], style: ChecklistStyle): string {
  const lines: string[] = [];
  for (const item of items) {
    const optional = item.severity === 'recommended' && !item.ok ? ' (recommended)' : '';
    lines.push(`${mark(item, style)} ${item.title}${optional}`);
    lines.push(`       ${item.detail}`);
    if (!item.ok && item.fix.length) {
      lines.push('       fix:');
      for (const fix of item.fix) lines.push(`         ${fix}`);
    }
  }
  const failedRequired = items.filter((i) => !i.ok && i.severity === 'required').length;
  const failedRecommended = items.filter((i) => !i.ok && i.severity === 'recommended').length;
  lines.push('');
  lines.push(failedRequired === 0
    ? `hutch can run containers here${failedRecommended ? ` (${failedRecommended} recommended item${failedRecommended === 1 ? '' : 's'} missing)` : ''}.`
    : `${failedRequired} required item${failedRequired === 1 ? '' : 's'} missing: fix ${failedRequired === 1 ? 'it' : 'them'} and run \`hutch doctor\` again.`);
  return lines.join('\n');
}
