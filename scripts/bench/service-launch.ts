/**
 * How a systemd unit of ours starts node: the node options and the environment of its
 * `ExecStart=/usr/bin/node FLAGS… /opt/chiso/bin/chiso.js …` and `Environment=K=V` lines. The gateway bench
 * starts its gateway with the same, so what it measures is what the unit runs on the Pi; the units' test
 * checks that this node accepts them.
 */
export function serviceLaunch(unitText: string): { nodeArgs: string[]; env: Record<string, string> } {
  const exec = /^ExecStart=(.*)$/m.exec(unitText)?.[1]?.trim().split(/\s+/) ?? [];
  const script = exec.findIndex((t) => t.endsWith('/bin/chiso.js'));
  const nodeArgs = script > 0 ? exec.slice(1, script) : [];
  const env: Record<string, string> = {};
  for (const m of unitText.matchAll(/^Environment=(.*)$/gm)) {
    for (const pair of m[1]!.match(/"[^"]*"|\S+/g) ?? []) {
      const [k, ...v] = pair.replace(/^"|"$/g, '').split('=');
      if (k) env[k] = v.join('=');
    }
  }
  return { nodeArgs, env };
}
