/**
 * CPU time and resident memory of a process, from /proc (proc(5)). Processes in another
 * network namespace are still in our pid namespace, so the daemons' /proc entries are readable.
 *
 * CPU: /proc/PID/stat utime + stime + cutime + cstime (clock ticks, CLK_TCK = 100 on Linux:
 * 10 ms resolution; children count once waited for, e.g. fwknopd's iptables runs) and, with
 * nanosecond resolution, the sum over threads of /proc/PID/task/TID/schedstat's first field.
 */
import { readdirSync, readFileSync } from 'node:fs';

const CLK_TCK = 100;

export interface CpuSample {
  /** utime+stime+cutime+cstime in milliseconds (10 ms resolution). */
  statMs: number;
  /** Time on CPU of all live threads, ms (ns resolution); NaN if schedstat is missing. */
  schedMs: number;
}

export function readCpu(pid: number): CpuSample {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at field 3 (state).
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = [11, 12, 13, 14].reduce((s, i) => s + Number(f[i]), 0); // fields 14-17
  let schedNs = 0;
  let ok = true;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        schedNs += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // thread ended between readdir and read
      }
    }
  } catch {
    ok = false;
  }
  return { statMs: (ticks * 1000) / CLK_TCK, schedMs: ok ? schedNs / 1e6 : Number.NaN };
}

/** CPU milliseconds between two samples: schedstat when available (finer), else stat. */
export function cpuMsBetween(a: CpuSample, b: CpuSample): number {
  const sched = b.schedMs - a.schedMs;
  return Number.isFinite(sched) && sched >= 0 ? sched : b.statMs - a.statMs;
}

/** Resident set size in MB (VmRSS), NaN if the process is gone. */
export function readRssMb(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Samples RSS every `everyMs` until stopped; returns [seconds since start, MB] points. */
export function sampleRss(pid: number, everyMs: number): { stop(): [number, number][] } {
  const started = performance.now();
  const points: [number, number][] = [[0, readRssMb(pid)]];
  const timer = setInterval(
    () => points.push([(performance.now() - started) / 1000, readRssMb(pid)]),
    everyMs,
  );
  return {
    stop() {
      clearInterval(timer);
      points.push([(performance.now() - started) / 1000, readRssMb(pid)]);
      return points;
    },
  };
}
