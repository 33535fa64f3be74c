/** A one-line spinner on stderr, only when stderr is a terminal. */
import { printable } from './terminal-text.js';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export interface Spinner {
  text(t: string): void;
  stop(): void;
}

const NONE: Spinner = { text() {}, stop() {} };

export function startSpinner(initial: string, stream: NodeJS.WriteStream = process.stderr): Spinner {
  if (!stream.isTTY) return NONE;
  let text = printable(initial);
  let i = 0;
  const draw = () => stream.write(`\r\x1b[2K${FRAMES[i++ % FRAMES.length]} ${text}`);
  draw();
  const timer = setInterval(draw, 80);
  timer.unref();
  return {
    text(t) {
      text = printable(t); // holds profile and service names
    },
    stop() {
      clearInterval(timer);
      stream.write('\r\x1b[2K');
    },
  };
}
