/**
 * Set one `key = value` in a TOML section, textually, keeping everything else (comments
 * included). Enough for the lab's edits of a config written by `spa-server init`.
 */
export function setTomlKey(text: string, section: string, key: string, literal: string): string {
  const lines = text.split('\n');
  const header = `[${section}]`;
  const start = lines.findIndex((l) => l.trim() === header);
  if (start < 0) return `${text.trimEnd()}\n\n${header}\n${key} = ${literal}\n`;
  let end = lines.length;
  for (let i = start + 1; i < lines.length; i++) {
    if (/^\s*\[/.test(lines[i]!)) {
      end = i;
      break;
    }
  }
  const keyRe = new RegExp(`^\\s*${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*=`);
  for (let i = start + 1; i < end; i++) {
    if (keyRe.test(lines[i]!)) {
      lines[i] = `${key} = ${literal}`;
      return lines.join('\n');
    }
  }
  lines.splice(start + 1, 0, `${key} = ${literal}`);
  return lines.join('\n');
}
