/**
 * The `spa://` profile of one client: the server's side of what `spa-client import` needs.
 */
import { type ClientProfile, encodeProfile, type ProfileService, sshFingerprint } from '@spa/shared';
import type { ServerConfig } from './types.js';

export function clientProfile(config: ServerConfig, clientName: string): ClientProfile {
  const client = config.clients.get(clientName);
  if (!client) throw new Error(`no client "${clientName}"`);
  const services: Record<string, ProfileService> = {};
  for (const name of client.services) {
    const s = config.services.get(name);
    if (s) services[name] = { protocol: s.protocol, port: s.port };
  }
  return {
    server: config.serverName,
    client: client.name,
    host: config.advertiseHost,
    serverId: config.serverId,
    serverSecret: config.serverSecret,
    clientSecret: client.secret,
    knock: config.knock,
    stepSeconds: config.stepSeconds,
    services,
    // A signed client never gets sequences (they carry no signature: parse.ts says so on load).
    ...(config.sequence && !signedOnly(config, client.sshKey !== undefined)
      ? { sequence: config.sequence }
      : {}),
    ...(client.sshKey ? { sshKey: sshFingerprint(client.sshKey.blob) } : {}),
  };
}

export function clientProfileUri(config: ServerConfig, clientName: string): string {
  return encodeProfile(clientProfile(config, clientName));
}

/** Whether a client's knocks must be signed: its own ssh_key, or [policy] require_ssh_key. */
export function signedOnly(config: ServerConfig, hasSshKey: boolean): boolean {
  return hasSshKey || config.policy.requireSshKey === true;
}
