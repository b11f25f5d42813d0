// The books of a scenario: what clients were answered, what the processes' journals say ran and
// was reported, and what Redis holds at the end, reconciled into the suite's figures.
import type { Job, Queue } from 'bullmq'
import type { Answer } from './client'
import { MODES, type Mode } from './faultline'
import { readJournals } from './journal'

/** A scenario's figures: the first group counts, the second must all be 0. */
export interface Figures {
  requests: number
  /** Answered 200 with a task id. */
  queued: number
  /** Answered 503 with a valid UNAVAILABLE envelope and Retry-After. */
  unavailable: number
  /** No answer: the connection died (an API process killed mid-call). */
  dropped: number
  succeeded: number
  failed: number
  interrupted: number
  /** Answered queued, but its job is not in Redis. */
  lost: number
  /** In Redis but still waiting, delayed or running at the end. */
  stuck: number
  /** Reports beyond the first of a task's attempt, across every process. */
  duplicateReports: number
  /** Attempts that did not end their task successfully and were never reported. */
  unreported: number
  /** Reports of a start that never ran: the one through which BullMQ fails a job that stalled too often. */
  unrunReports: number
  /** Calls answered 503 whose task is in Redis or ran anyway. */
  phantoms: number
  /** Phantoms the API process never logged as such (`a task given up on was taken by a worker before it could be recalled`). */
  silentPhantoms: number
  /** Any other status, or a 503 that breaks the contract. */
  wrongAnswers: number
  /** Processes that exited without the scenario killing them. */
  crashed: number
  /** Per mode, the tasks that succeeded and failed (interrupted counted as failed). */
  byMode: Record<Mode, { succeeded: number; failed: number; attempts: number[] }>
  /** Every task answered queued and found finished: its attempts started and those reported. */
  tasks: {
    ref: string
    mode: Mode
    taskId: string
    state: string
    started: number
    reported: number[]
    finishedOn: number
  }[]
  /** What broke, the first few of each kind, to reproduce it. */
  problems: string[]
}

/** What the runner logs when a task whose call was answered 503 had been taken by a worker before it could be recalled. */
const RAN_ANYWAY = 'faultline: a task given up on was taken by a worker before it could be recalled'

/** BullMQ's reason for failing a job that stalled more than `maxStalledCount` allows. */
const STALLED_TOO_OFTEN = 'job stalled more than allowable limit'

type JobInfo = { state: string; job: Job }

const FINAL = new Set(['completed', 'failed'])
const STATES = ['completed', 'failed', 'active', 'wait', 'delayed', 'prioritized', 'waiting-children'] as const

function emptyByMode(): Figures['byMode'] {
  const byMode: Partial<Figures['byMode']> = {}
  for (const mode of MODES) byMode[mode] = { succeeded: 0, failed: 0, attempts: [] }
  return byMode as Figures['byMode']
}

/** Every job of the queue, by id and by the `ref` of its payload. */
async function jobsOf(queue: Queue) {
  const byId = new Map<string, JobInfo>()
  for (const state of STATES) {
    for (const job of await queue.getJobs([state], 0, -1)) {
      if (job?.id) byId.set(job.id, { state, job })
    }
  }
  const byRef = new Map<string, JobInfo>()
  for (const info of byId.values()) {
    const ref = (info.job.data as { payload?: { ref?: unknown } }).payload?.ref
    if (typeof ref === 'string') byRef.set(ref, info)
  }
  return { byId, byRef }
}

async function jobInfo(queue: Queue, id: string): Promise<JobInfo | undefined> {
  const state = await queue.getJobState(id)
  const job = state === 'unknown' ? undefined : await queue.getJob(id)
  return job ? { state, job } : undefined
}

/**
 * Waits until the queue has nothing waiting, delayed or running and every queued answer's job has
 * finished, at most `timeoutMs`; what has not by then is counted as stuck.
 */
export async function settle(queue: Queue, answers: Answer[], timeoutMs: number): Promise<void> {
  const ids = answers.flatMap((a) => (a.kind === 'queued' ? [a.taskId] : []))
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const counts = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized')
    if (Object.values(counts).every((n) => !n)) {
      const states = await Promise.all(ids.map((id) => queue.getJobState(id)))
      if (states.every((state) => FINAL.has(state) || state === 'unknown')) return
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

export async function account(opts: {
  queue: Queue
  journalDir: string
  answers: Answer[]
  crashed: string[]
}): Promise<Figures> {
  const { answers } = opts
  const problems: string[] = []
  const note = (kind: string, what: string) => {
    if (problems.filter((p) => p.startsWith(kind)).length < 5) problems.push(`${kind}: ${what}`)
  }
  const { byId, byRef } = await jobsOf(opts.queue)
  const events = readJournals(opts.journalDir)
  const ran = new Map(events.flatMap((e) => (e.kind === 'start' ? [[e.ref, e.taskId] as const] : [])))
  const admitted = new Set(events.flatMap((e) => (e.kind === 'log' && e.msg === RAN_ANYWAY ? [e.taskId] : [])))

  const startedAttempts = new Set(events.flatMap((e) => (e.kind === 'start' ? [`${e.taskId}#${e.attempt}`] : [])))
  /**
   * Whether BullMQ failed the job for stalling more often than allowed: it does so as it takes the
   * job once more, a start counted in `attemptsStarted` that never runs and has nothing to report.
   */
  const stalledOut = (job: Job, taskId: string) =>
    job.failedReason === STALLED_TOO_OFTEN && !startedAttempts.has(`${taskId}#${job.attemptsStarted}`)

  const reports = new Map<string, number>()
  for (const e of events) {
    if (e.kind !== 'report' || e.source !== 'task' || e.taskId === undefined) continue
    const key = `${e.taskId}#${e.attempt}`
    reports.set(key, (reports.get(key) ?? 0) + 1)
  }
  let duplicateReports = 0
  for (const [key, count] of reports) {
    if (count > 1) {
      duplicateReports += count - 1
      note('duplicate report', `${key} reported ${count} times`)
    }
  }

  const figures: Figures = {
    requests: answers.length,
    queued: 0,
    unavailable: 0,
    dropped: 0,
    succeeded: 0,
    failed: 0,
    interrupted: 0,
    lost: 0,
    stuck: 0,
    duplicateReports,
    unreported: 0,
    unrunReports: 0,
    phantoms: 0,
    wrongAnswers: 0,
    crashed: opts.crashed.length,
    silentPhantoms: 0,
    byMode: emptyByMode(),
    tasks: [],
    problems,
  }
  for (const crash of opts.crashed) note('crashed', crash)

  for (const answer of answers) {
    if (answer.kind === 'dropped') figures.dropped++
    if (answer.kind === 'wrong') {
      figures.wrongAnswers++
      note('wrong answer', `${answer.ref}: ${answer.why}`)
    }
    if (answer.kind === 'unavailable') {
      figures.unavailable++
      const info = byRef.get(answer.ref)
      const taskId = info?.job.id ?? ran.get(answer.ref)
      if (taskId !== undefined) {
        figures.phantoms++
        // logged as such by the API process, it is the runner's stated limit; unlogged, a break
        if (!admitted.has(taskId)) {
          figures.silentPhantoms++
          note(
            'silent phantom',
            `${answer.ref} (task ${taskId}) was answered 503 but ${info ? `its job is ${info.state}` : 'it ran'}`,
          )
        }
      }
    }
    if (answer.kind !== 'queued') continue
    figures.queued++
    // read again on its own: a job moving between states while the queue was listed can be missed
    const info = byId.get(answer.taskId) ?? (await jobInfo(opts.queue, answer.taskId))
    if (!info) {
      figures.lost++
      note('lost', `${answer.ref} (task ${answer.taskId}) was answered queued but is not in Redis`)
      continue
    }
    if (!FINAL.has(info.state)) {
      figures.stuck++
      note('stuck', `${answer.ref} (task ${answer.taskId}) is still ${info.state}`)
      continue
    }
    const succeeded = info.state === 'completed'
    const interrupted = !succeeded && (info.job.data as { interrupted?: boolean }).interrupted === true
    if (succeeded) figures.succeeded++
    else if (interrupted) figures.interrupted++
    else figures.failed++
    const started = info.job.attemptsStarted
    const mode = figures.byMode[answer.mode]
    mode[succeeded ? 'succeeded' : 'failed']++
    mode.attempts.push(started)
    figures.tasks.push({
      ref: answer.ref,
      mode: answer.mode,
      taskId: answer.taskId,
      state: info.state,
      started,
      reported: Array.from({ length: started }, (_, i) => i + 1).filter((n) => reports.has(`${answer.taskId}#${n}`)),
      finishedOn: info.job.finishedOn ?? 0,
    })
    // every attempt but a successful last one failed, and each failure is reported once; the start
    // through which BullMQ fails a stalled-out job never ran: nothing to report
    const unrun = stalledOut(info.job, answer.taskId)
    if (unrun && reports.has(`${answer.taskId}#${started}`)) {
      figures.unrunReports++
      note('unrun report', `${answer.ref} (task ${answer.taskId}) attempt ${started} never ran but was reported`)
    }
    const failedAttempts = succeeded || unrun ? started - 1 : started
    for (let attempt = 1; attempt <= failedAttempts; attempt++) {
      if (!reports.has(`${answer.taskId}#${attempt}`)) {
        figures.unreported++
        note('unreported', `${answer.ref} (task ${answer.taskId}) attempt ${attempt} of ${started}, ${info.state}`)
      }
    }
  }
  return figures
}

/** The figures that must be 0 in every scenario. */
export function violations(f: Figures) {
  return {
    lost: f.lost,
    stuck: f.stuck,
    duplicateReports: f.duplicateReports,
    unreported: f.unreported,
    unrunReports: f.unrunReports,
    silentPhantoms: f.silentPhantoms,
    wrongAnswers: f.wrongAnswers,
    crashed: f.crashed,
  }
}
