// Reads a Dockerfile's instructions (no Docker engine here: the file is checked, not built).

export interface Instruction {
  keyword: string;
  args: string;
  stage: number;
}

/** Instructions in order, with continuation lines and heredoc bodies (RUN <<EOF ... EOF) joined to their line. */
export function instructions(source: string): Instruction[] {
  const result: Instruction[] = [];
  const lines = source.split('\n');
  let stage = -1;
  for (let i = 0; i < lines.length; i++) {
    let line = (lines[i] ?? '').trim();
    if (line === '' || line.startsWith('#')) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) line = `${line.slice(0, -1)} ${(lines[++i] ?? '').trim()}`;
    const heredoc = /<<-?\s*['"]?(\w+)['"]?/.exec(line);
    if (heredoc) while (i + 1 < lines.length && (lines[++i] ?? '').trim() !== heredoc[1]) line += `\n${lines[i]}`;
    const [, keyword = '', args = ''] = /^(\w+)\s*(.*)$/s.exec(line) ?? [];
    if (keyword.toUpperCase() === 'FROM') stage++;
    result.push({ keyword: keyword.toUpperCase(), args, stage });
  }
  return result;
}

/** Problems with the shape we require of the service image ([] when none). */
export function dockerfileProblems(source: string): string[] {
  const all = instructions(source);
  const problems: string[] = [];
  const argDefaults = new Map(
    all
      .filter((i) => i.keyword === 'ARG')
      .map((i) => i.args.split('=') as [string, string?])
      .map(([name, value]) => [name.trim(), value?.trim()]),
  );
  const froms = all.filter((i) => i.keyword === 'FROM');
  const stages = new Set(froms.map((i) => /\bAS\s+(\S+)/i.exec(i.args)?.[1]).filter(Boolean));
  if (froms.length < 2) problems.push(`Dockerfile: not multi-stage (${froms.length} FROM)`);
  for (const from of froms) {
    const image = from.args.split(/\s+/).find((word) => !word.startsWith('--')) ?? '';
    const resolved = image.replace(/\$\{?(\w+)\}?/g, (_, name: string) => argDefaults.get(name) ?? `<ARG ${name} without default>`);
    if (stages.has(resolved)) continue;
    if (!/^node:24\.\d+\.\d+-[\w.-]*slim(@sha256:[0-9a-f]{64})?$/.test(resolved)) {
      problems.push(`Dockerfile: FROM ${resolved} is not a pinned node:24 slim image (like node:24.22.3-bookworm-slim)`);
    }
  }
  if (!argDefaults.has('SERVICE')) problems.push('Dockerfile: no ARG SERVICE selecting the service to build');
  if (!all.some((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args)))
    problems.push('Dockerfile: dependencies are not installed with npm ci');
  else if (!all.some((i) => i.keyword === 'RUN' && /\bnpm ci\b(?=.*--omit=dev)(?=.*--omit=optional)/.test(i.args)))
    problems.push('Dockerfile: no npm ci --omit=dev --omit=optional installs the production dependencies alone');
  if (!all.some((i) => i.keyword === 'RUN' && /\bnpm run build\b/.test(i.args))) problems.push('Dockerfile: nothing runs npm run build');
  const last = all.filter((i) => i.stage === froms.length - 1);
  const user = last
    .filter((i) => i.keyword === 'USER')
    .at(-1)
    ?.args.split(':')[0];
  if (!user || user === 'root' || user === '0') problems.push(`Dockerfile: the runtime stage runs as ${user ?? 'root (no USER)'}`);
  else if (!/^\d+$/.test(user)) problems.push(`Dockerfile: USER ${user} is a name; Kubernetes' runAsNonRoot needs a numeric user id`);
  if (!last.some((i) => i.keyword === 'ENV' && /\bNODE_ENV=production\b/.test(i.args)))
    problems.push('Dockerfile: the runtime stage does not set NODE_ENV=production');
  const cmd = last.filter((i) => i.keyword === 'CMD' || i.keyword === 'ENTRYPOINT').at(-1);
  if (!cmd || !/^\[\s*"node"/.test(cmd.args)) problems.push('Dockerfile: the runtime stage has no exec-form CMD running node');
  return problems;
}
