// A man page from a commander program: the program's --help and every command's --help,
// verbatim (what the CLI prints is the documentation), wrapped in roff. Used by deb.mjs.

/** Text safe inside .nf: backslashes doubled, a leading . or ' escaped. */
function roff(text) {
  return text
    .replace(/\\/g, '\\e')
    .split('\n')
    .map((l) => (/^[.']/.test(l) ? `\\&${l}` : l))
    .join('\n');
}

export function manPage(program, { section, version, date, description }) {
  const name = program.name();
  const out = [
    `.TH ${name.toUpperCase()} ${section} "${date}" "spa ${version}" "spa"`,
    '.SH NAME',
    `${name} \\- ${description}`,
    '.SH SYNOPSIS',
    `.B ${name}`,
    '[\\fIoptions\\fR] \\fIcommand\\fR [\\fIargs\\fR]',
    '.SH DESCRIPTION',
    '.nf',
    roff(program.helpInformation().trimEnd()),
    '.fi',
    '.SH COMMANDS',
  ];
  for (const cmd of program.commands) {
    out.push(`.SS ${cmd.name()}`, '.nf', roff(cmd.helpInformation().trimEnd()), '.fi');
  }
  out.push(
    '.SH SEE ALSO',
    name === 'spa-server' ? '.BR spa-client (1)' : '.BR spa-server (8)',
    '.PP',
    '/usr/share/doc/spa-server/README.md',
    '',
  );
  return out.join('\n');
}
