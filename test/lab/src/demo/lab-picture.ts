/**
 * The three-line picture of the lab that opens the transcript:
 *
 *   client   192.0.2.2 ─┐
 *                       ├─ bridge ─ server 192.0.2.1 (web1.lab): spa-server guards ssh 22/tcp, web 80/tcp
 *   attacker 192.0.2.3 ─┘           the attacker holds no key, but can tap the wire
 */
import type { LabHosts } from '../lab/index.js';

export function labPicture(hosts: LabHosts, serverName: string, services: string): string[] {
  const { client, attacker, server } = hosts;
  const width = Math.max(client.ipv4.length, attacker.ipv4.length);
  const left = (name: string, addr: string) => `${name.padEnd(8)} ${addr.padEnd(width)} `;
  const pad = ' '.repeat(left('', '').length);
  const middle = '├─ bridge ─ ';
  return [
    `${left('client', client.ipv4)}─┐`,
    `${pad} ${middle}server ${server.ipv4} (${serverName}): spa-server guards ${services}`,
    `${left('attacker', attacker.ipv4)}─┘${' '.repeat(middle.length - 1)}the attacker holds no key, but can tap the wire`,
  ];
}
