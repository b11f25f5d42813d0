// What the bench reads of Redis's counters: commands by name, and the server's CPU time.
import type { Redis } from 'ioredis'

// the bench's own commands around each window, not the side's
const OWN = new Set(['config|resetstat', 'info'])

/** Commands run since the last CONFIG RESETSTAT, by name (those scripts ran counted by their own name too). */
export async function commandCounts(redis: Redis): Promise<Map<string, number>> {
  const counts = new Map<string, number>()
  for (const line of (await redis.info('commandstats')).split('\n')) {
    const match = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim())
    if (match?.[1] && !OWN.has(match[1])) counts.set(match[1], Number(match[2]))
  }
  return counts
}

/** The CPU time redis-server has used, in µs. */
export async function redisCpuMicros(redis: Redis): Promise<number> {
  const info = await redis.info('cpu')
  const seconds = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? Number.NaN)
  return (seconds('used_cpu_sys') + seconds('used_cpu_user')) * 1e6
}
