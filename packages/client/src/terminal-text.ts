/**
 * Text for a terminal, from untrusted sources (a profile someone sent, a server's name, a
 * packet): control characters are shown as `\xNN` instead of being sent to the terminal, so
 * a crafted profile cannot move the cursor, recolour, retitle the window or hide text.
 * Newlines and tabs are kept (our own messages use them); C0, DEL and C1 (0x80–0x9f, which
 * some terminals read as ESC sequences) are escaped. A backslash stays a backslash.
 */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

export function printable(text: string): string {
  return text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** JSON.stringify leaves DEL and C1 raw; write them as \u escapes (still the same JSON value). */
const JSON_RAW = /[\u007f-\u009f]/g;

export function terminalJson(value: unknown): string {
  return JSON.stringify(value).replace(
    JSON_RAW,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
