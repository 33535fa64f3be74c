/**
 * The `spa://` profile of one client: the server's side of what `spa-client import` needs.
 */
import { type ClientProfile, encodeProfile, type ProfileService } from '@spa/shared';
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
    ...(config.sequence ? { sequence: config.sequence } : {}),
  };
}

export function clientProfileUri(config: ServerConfig, clientName: string): string {
  return encodeProfile(clientProfile(config, clientName));
}
