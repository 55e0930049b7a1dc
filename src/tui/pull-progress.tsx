// Pull progress on a terminal with Ink: one bar per layer with bytes, speed
// and state. Loaded only by `hutch pull`/`run` when stderr is a TTY.
import { useEffect, useState } from 'react';
import { Box, Text, render } from 'ink';
import type { LayerState, LayerUpdate, PullReporter } from '../image/pull-events.js';
import { humanSize } from '../cli/format.js';
import { shortDigest } from '../cli/short-id.js';

interface LayerRow extends LayerUpdate {
  startedAt?: number;
  endedAt?: number;
}

interface ViewState {
  reference?: string;
  layers: LayerRow[];
  notes: string[];
  imageId?: string;
}

type Listener = (state: ViewState) => void;

const BAR_WIDTH = 24;
const STATE_COLOR: Record<LayerState, string> = {
  waiting: 'gray',
  downloading: 'cyan',
  verifying: 'yellow',
  extracting: 'yellow',
  done: 'green',
  exists: 'green',
};

function bar(fraction: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * BAR_WIDTH);
  return '█'.repeat(filled) + '░'.repeat(BAR_WIDTH - filled);
}

function speed(row: LayerRow, now: number): string {
  if (!row.startedAt || row.bytes === 0) return '';
  const seconds = ((row.endedAt ?? now) - row.startedAt) / 1000;
  return seconds > 0 ? `${humanSize(row.bytes / seconds)}/s` : '';
}

function Layer({ row, now }: { row: LayerRow; now: number }) {
  const fraction = row.state === 'exists' || row.state === 'done' ? 1 : row.total > 0 ? row.bytes / row.total : 0;
  return (
    <Box>
      <Text>{shortDigest(row.digest)} </Text>
      <Text color={STATE_COLOR[row.state]}>{bar(fraction)}</Text>
      <Text> {`${humanSize(row.bytes)} / ${humanSize(row.total)}`.padEnd(22)}</Text>
      <Text dimColor>{speed(row, now).padEnd(12)}</Text>
      <Text color={STATE_COLOR[row.state]}>{row.state}</Text>
    </Box>
  );
}

function PullView({ subscribe }: { subscribe: (listener: Listener) => () => void }) {
  const [state, setState] = useState<ViewState>({ layers: [], notes: [] });
  const [now, setNow] = useState(Date.now());
  useEffect(() => subscribe(setState), [subscribe]);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(timer);
  }, []);
  return (
    <Box flexDirection="column">
      {state.reference ? <Text>Pulling {state.reference}</Text> : null}
      {state.notes.map((note, i) => (
        <Text key={i} dimColor>
          {note}
        </Text>
      ))}
      {state.layers.map((row) => (
        <Layer key={row.digest} row={row} now={now} />
      ))}
    </Box>
  );
}

/** Creates a reporter that renders live progress bars to stderr. */
export function inkReporter(stream: NodeJS.WriteStream = process.stderr): PullReporter {
  let state: ViewState = { layers: [], notes: [] };
  const listeners = new Set<Listener>();
  const publish = (next: ViewState) => {
    state = next;
    for (const listener of listeners) listener(state);
  };
  const subscribe = (listener: Listener) => {
    listeners.add(listener);
    listener(state);
    return () => listeners.delete(listener);
  };
  const app = render(<PullView subscribe={subscribe} />, { stdout: stream, exitOnCtrlC: false, patchConsole: false });
  return {
    resolved(reference, _digest, layers) {
      publish({ ...state, reference, layers: layers.map((l) => ({ digest: l.digest, state: 'waiting', bytes: 0, total: l.size })) });
    },
    layer(update) {
      const now = Date.now();
      publish({
        ...state,
        layers: state.layers.map((row) => {
          if (row.digest !== update.digest) return row;
          const startedAt = row.startedAt ?? (update.state === 'downloading' ? now : undefined);
          const finished = update.state === 'done' || update.state === 'exists' || update.state === 'extracting';
          return { ...row, ...update, startedAt, endedAt: finished ? (row.endedAt ?? now) : undefined };
        }),
      });
    },
    note(message) {
      publish({ ...state, notes: [...state.notes, message] });
    },
    done(imageId) {
      publish({ ...state, imageId });
    },
    close() {
      app.unmount();
    },
  };
}
