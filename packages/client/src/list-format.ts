/** How `list` and `import` show a profile: names, hosts, services; never keys. */
import type { StoredProfile } from './profile-store.js';

export function servicesText(p: StoredProfile): string {
  return Object.entries(p.profile.services)
    .map(([n, s]) => `${n} ${s.port}/${s.protocol}`)
    .join(', ');
}

export function knockText(p: StoredProfile): string {
  const k = p.profile.knock;
  return k.mode === 'fixed' ? `fixed ${k.port}` : `rotating ${k.range[0]}-${k.range[1]}`;
}

export function formatProfileLine(p: StoredProfile): string {
  const server = p.profile.server === p.name ? '' : ` (server ${p.profile.server})`;
  return `"${p.name}"${server} at ${p.profile.host} as ${p.profile.client}: ${servicesText(p) || 'no services'}`;
}

export function profileJson(p: StoredProfile): Record<string, unknown> {
  const s = p.profile.sequence;
  return {
    name: p.name,
    server: p.profile.server,
    client: p.profile.client,
    host: p.profile.host,
    services: Object.fromEntries(
      Object.entries(p.profile.services).map(([n, v]) => [n, `${v.port}/${v.protocol}`]),
    ),
    knock: knockText(p),
    step: p.profile.stepSeconds,
    sequence: s ? { length: s.length, protocol: s.protocol, range: [...s.range], gapMs: s.gapMs } : null,
  };
}

/** Columns padded to the widest cell. */
export function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const r of rows) {
    for (let i = 0; i < r.length; i++) widths[i] = Math.max(widths[i] ?? 0, r[i]!.length);
  }
  return rows.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}
