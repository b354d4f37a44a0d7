import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * File descriptors a trial process keeps besides its connections: stdio, the IPC
 * channel, epoll and libuv's own, Redis clients, files being loaded.
 */
export const RESERVED_FDS = 200;

/** The open-file limits of this process (`/proc/self/limits`), or undefined where that file does not exist. */
export function openFileLimits(): { soft: number; hard: number } | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return undefined;
  }
  const match = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(text);
  if (!match) return undefined;
  const parse = (value: string | undefined): number => (value === 'unlimited' || value === undefined ? Infinity : Number(value));
  return { soft: parse(match[1]), hard: parse(match[2]) };
}

/** What {@link fitConnectionsToFileLimit} decided. */
export interface FittedConnections {
  connections: number;
  /** Set when the count had to be lowered: why, and how to avoid it. */
  warning?: string;
}

/**
 * Makes room for `connections` sockets in every trial process. Each side of a trial
 * holds all the connections in one process (the server or its gateway, and the load
 * generator), and each Node process raises its soft limit to the hard one at start-up,
 * so the hard limit is what counts, and children inherit this process's. When it is too
 * low, this process raises it with `prlimit` (util-linux; allowed to root with
 * CAP_SYS_RESOURCE). When that is refused (a container without the capability), the
 * count is lowered to what fits, with a warning: the figures are per connection, and
 * the entry records the count that ran.
 */
export function fitConnectionsToFileLimit(connections: number): FittedConnections {
  const limits = openFileLimits();
  const needed = connections + RESERVED_FDS;
  if (!limits || limits.hard >= needed) return { connections };
  try {
    execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${needed}:${needed}`], { stdio: 'ignore' });
    return { connections };
  } catch {
    const fitted = Math.max(1, limits.hard - RESERVED_FDS);
    return {
      connections: fitted,
      warning:
        `${connections} connections need an open-file limit of ${needed}; the hard limit is ${limits.hard} and raising it ` +
        `(prlimit --nofile) was refused, so ${fitted} connections run instead. Raise it as root ` +
        `(\`ulimit -Hn ${needed}\` in the shell that runs the bench) to run them all.`,
    };
  }
}
