// Keeps VS Code from offering to forward or open the receiver's ports ("Your application running on
// port 4318 is available. Open in Browser"), which remote windows (Remote-SSH, WSL, Codespaces,
// code-server) show for every new listening port.
//
// `workspace.registerPortAttributesProvider` would be the API for it, but it is still a proposed API
// (`portsAttributes`) in VS Code 1.139, unusable by a published extension. The equivalent is the
// `remote.portsAttributes` setting: package.json `configurationDefaults` gives 4318 and 4317 (the
// default ports) `onAutoForward: "ignore"` without writing any file; for a port the user changed, this
// adds an entry to the user's `remote.portsAttributes` (labelled, replaced when the port changes
// again, removed when back to a default port). Read before the receiver binds, so the first scan
// already sees it.
import * as vscode from 'vscode';
import type { Logger } from '../core/log';
import { portAttributesUpdate, type PortAttributesMap } from '../core/portAttributes';

const SECTION = 'remote';
const KEY = 'portsAttributes';

/** The ports our receivers bind: OTLP/HTTP and, when on (not 0), OTLP/gRPC (`claudeLedger.grpcPort`). */
export function receiverPorts(httpPort: number, grpcPort: number): number[] {
  return [...new Set(grpcPort > 0 ? [httpPort, grpcPort] : [httpPort])];
}

/** Makes sure every receiver port is ignored by port auto-forwarding; never throws (logs instead). */
export async function ignoreReceiverPorts(ports: number[], log: Logger): Promise<void> {
  try {
    const config = vscode.workspace.getConfiguration(SECTION);
    const effective = config.get<PortAttributesMap>(KEY) ?? {};
    const user = config.inspect<PortAttributesMap>(KEY)?.globalValue;
    const next = portAttributesUpdate(effective, user, ports);
    if (next === undefined) return;
    await config.update(KEY, next, vscode.ConfigurationTarget.Global);
    log.info(`remote.portsAttributes: receiver ports ${ports.join(', ')} are not auto-forwarded`);
  } catch (err) {
    log.warn(`could not set remote.portsAttributes for ports ${ports.join(', ')}: ${(err as Error)?.message ?? String(err)}`);
  }
}
