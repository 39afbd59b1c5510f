/**
 * Configuration for Debian's mosquitto (2.0) as the MSS's external broker, enforcing the roles the
 * embedded broker enforces (docs/protocol.md §1). Three files, rendered for one MSS id:
 *   hood.conf          listener, anonymous PDAs, password file, ACL file, dynamic security plugin
 *   hood.acl           who may publish and read which topics
 *   hood-dynsec.json   which topic filters anonymous clients may subscribe to
 * The copies beside this file are rendered for the default id "doug"; `hood mss mosquitto-config`
 * renders them for another. Why two ACL mechanisms: see the comment at the top of hood.conf.
 */
import { existsSync } from 'node:fs';
import { beaconTopic, upTopic } from '../../../shared/src/protocol/topics';

export const GATEWAY_USER = 'hood-mss';
export const DEFAULT_CONF_DIR = '/etc/mosquitto/hood';
export const FILES = ['hood.conf', 'hood.acl', 'hood-dynsec.json'] as const;

const PLUGIN_DIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib/arm-linux-gnueabihf', '/usr/lib'];
const PLUGIN = 'mosquitto_dynamic_security.so';

/** Debian's dynamic security plugin for this machine's architecture (amd64's path if none is found). */
export function findDynsecPlugin(): string {
  for (const d of PLUGIN_DIRS) if (existsSync(d + '/' + PLUGIN)) return d + '/' + PLUGIN;
  return PLUGIN_DIRS[0] + '/' + PLUGIN;
}

export interface MosquittoConfigOptions {
  mssId: string;
  /** The gateway's user name in the password file. */
  gatewayUser?: string;
  /** Directory the three files and hood.passwd are installed in. */
  confDir?: string;
  pluginPath?: string;
  /** The `listener` line's arguments. */
  listener?: string;
}

function downWildcard(mssId: string): string {
  return 'hood/v1/' + mssId + '/down/+';
}

export function renderHoodConf(o: MosquittoConfigOptions): string {
  const dir = o.confDir || DEFAULT_CONF_DIR;
  const user = o.gatewayUser || GATEWAY_USER;
  const down = downWildcard(o.mssId);
  return `# mosquitto 2.0 as the external broker of MSS "${o.mssId}" (hood mss --broker).
# Rendered by: hood mss mosquitto-config --mss-id ${o.mssId} --out DIR
#
# Roles (docs/protocol.md section 1), as the embedded broker enforces them:
#  - the gateway, user "${user}" in hood.passwd, alone publishes the retained beacon and the
#    downlink cells, and alone reads the uplink (hood.acl);
#  - PDAs connect anonymously: they may publish only to the uplink, read only beacons and the
#    downlink topic of their own session (hood.acl), and subscribe only to
#    hood/v1/+/beacon and to downlink topics named exactly (hood-dynsec.json).
#
# Why the dynamic security plugin as well as acl_file: a downlink topic's last level is the
# session's tag, derived from K_BD and known only to the PDA and the MSS; it is what keeps one
# session's cells from everybody else. mosquitto 2.0 checks acl_file rules when it delivers a
# message, not when a client subscribes: every SUBSCRIBE is granted, so with acl_file alone an
# anonymous client subscribing to ${'hood/v1/' + o.mssId + '/down/#'} would be sent every downlink cell
# a PDA may read. acl_file cannot say "this topic, but only if named without wildcards".
# The dynamic security plugin shipped with mosquitto 2.0 does check subscriptions: a
# "subscribePattern" rule matches a filter level "+" or "#" only with the same wildcard in the
# rule, and a "subscribeLiteral" rule compares the filter as a string. hood-dynsec.json puts
# anonymous clients in a group that
#    refuses the literal filter ${down},
#    allows ${down} as a pattern (one exact 32-hex-digit tag per subscription),
#    allows hood/v1/+/beacon,
#    refuses every other filter (pattern "#", lowest priority).
# The plugin runs first and defers whatever it has no rule for (publishing, delivery, and every
# check for users it does not know, such as the gateway) to password_file and acl_file.
# hood mss --broker probes this at start and refuses to run if an anonymous client could
# subscribe to a downlink wildcard or overwrite the beacon.
#
# Retained uplink messages and cell sizes are not enforced here (the embedded broker does):
# only the gateway reads the uplink, and it checks every cell's size before any cryptography.

per_listener_settings false
listener ${o.listener || '1883'}
allow_anonymous true
password_file ${dir}/hood.passwd
acl_file ${dir}/hood.acl
plugin ${o.pluginPath || findDynsecPlugin()}
plugin_opt_config_file ${dir}/hood-dynsec.json
`;
}

export function renderHoodAcl(o: MosquittoConfigOptions): string {
  const user = o.gatewayUser || GATEWAY_USER;
  return `# mosquitto acl_file for MSS "${o.mssId}" (see hood.conf for why subscriptions are checked by
# hood-dynsec.json, not here). Rules before the first "user" line apply to anonymous clients.

# PDAs: uplink cells out; beacons and their own session's downlink cells in.
topic write ${upTopic(o.mssId)}
topic read hood/v1/+/beacon
topic read ${downWildcard(o.mssId)}

# The gateway: the retained beacon (it also reads it back to probe the broker at start),
# downlink cells out, uplink cells in.
user ${user}
topic readwrite ${beaconTopic(o.mssId)}
topic write ${downWildcard(o.mssId)}
topic read ${upTopic(o.mssId)}
`;
}

export function renderDynsec(o: MosquittoConfigOptions): string {
  const down = downWildcard(o.mssId);
  const acl = (acltype: string, topic: string, priority: number, allow: boolean) => ({ acltype, topic, priority, allow });
  const doc = {
    defaultACLAccess: { publishClientSend: false, publishClientReceive: false, subscribe: false, unsubscribe: true },
    clients: [],
    groups: [{ groupname: 'hood-pda', textname: 'anonymous PDAs', roles: [{ rolename: 'hood-pda' }], clients: [] }],
    roles: [
      {
        rolename: 'hood-pda',
        textdescription: 'subscribe to beacons and to downlink topics named exactly; nothing else',
        acls: [
          acl('subscribeLiteral', down, 10, false),
          acl('subscribePattern', down, 5, true),
          acl('subscribePattern', 'hood/v1/+/beacon', 5, true),
          acl('subscribePattern', '#', 0, false),
        ],
      },
    ],
    anonymousGroup: 'hood-pda',
  };
  return JSON.stringify(doc, null, 2) + '\n';
}

export function renderMosquittoConfig(o: MosquittoConfigOptions): Record<(typeof FILES)[number], string> {
  beaconTopic(o.mssId); // validates the id (a-z 0-9 -) before it goes into a config file
  return { 'hood.conf': renderHoodConf(o), 'hood.acl': renderHoodAcl(o), 'hood-dynsec.json': renderDynsec(o) };
}
