// bash completion from a commander program: command names, then that command's options
// (and the global ones); files for options that take a value. Used by deb.mjs.

const flagsOf = (cmd) => cmd.options.flatMap((o) => [o.short, o.long].filter(Boolean));

export function bashCompletion(program) {
  const name = program.name();
  const fn = `_${name.replace(/-/g, '_')}`;
  const commands = program.commands.map((c) => c.name());
  const global = [...flagsOf(program), '--help'];
  const cases = program.commands
    .map((c) => `    ${c.name()}) opts="${[...flagsOf(c), '--help', ...global].join(' ')}" ;;`)
    .join('\n');
  return `# bash completion for ${name} (generated from its command line definition)
${fn}() {
  local cur prev cmd opts i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  cmd=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in
      -*) ;;
      *) cmd="\${COMP_WORDS[i]}"; break ;;
    esac
  done
  case "$prev" in
    -c|--config|-o|--out|--ssh-key-file) COMPREPLY=( $(compgen -f -- "$cur") ); return ;;
  esac
  if [[ -z "$cmd" ]]; then
    COMPREPLY=( $(compgen -W "${commands.join(' ')} ${global.join(' ')}" -- "$cur") )
    return
  fi
  case "$cmd" in
${cases}
    *) opts="${global.join(' ')}" ;;
  esac
  COMPREPLY=( $(compgen -W "$opts" -- "$cur") )
}
complete -o default -F ${fn} ${name}
`;
}
