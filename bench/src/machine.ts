import { cpus, totalmem } from 'node:os';
import { round } from './stats.js';

/** The machine a benchmark ran on, as every result file records it. */
export function machineInfo() {
  const cpuList = cpus();
  return {
    cpus: cpuList.length,
    cpuModel: cpuList[0]?.model ?? 'unknown',
    memoryGiB: round(totalmem() / 2 ** 30, 1),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}
