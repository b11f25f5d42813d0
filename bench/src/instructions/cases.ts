// The paths `pnpm bench:instructions` counts, what each must do in its counted window, and the
// budget issue 22 sets for it (Faultline's instructions per call over plain tRPC's).

/** The lines the worker prints around a case's counted window, and to hand over to the harness. */
export const windowStart = (name: string) => `faultline-bench: window start ${name}`
export const windowEnd = (name: string) => `faultline-bench: window end ${name}`
export const READY = 'faultline-bench: ready'
export const DONE = 'faultline-bench: done'

type Transformers = readonly ('json' | 'superjson')[]
interface CaseBase {
  /** The row's label in the table. */
  label: string
  /** Which budget of the issue the row answers to. */
  budget: Budget
  /** Which transformers the row is counted with. */
  transformers: Transformers
  /** Log lines each call must write, on both sides. */
  logLines: number
  /** The call queues a background task: one event-loop turn follows each call. */
  task?: 'fails' | 'succeeds'
}
/** A call through tRPC's fetch adapter, on a `Request`: formatter, `onError` and `responseMeta` run. */
export interface FetchCase extends CaseBase {
  kind: 'fetch'
  /** The procedure (or the batch) called. */
  path: string
  /** The response status every call must get. */
  status: number
}
/** A call through tRPC's `createCaller`: no adapter and no formatter (success and tasks only). */
export interface CallerCase extends CaseBase {
  kind: 'caller'
  path: 'ok' | 'okThroughMiddleware' | 'queueFailing' | 'queueSucceeding'
}
/** The client rehydrating the error a Faultline server sent for a procedure. */
export interface ClientCase extends CaseBase {
  kind: 'client'
  path: string
}
export type Case = FetchCase | CallerCase | ClientCase

export type Budget = 'success' | 'error' | 'rehydration' | 'failing task' | 'succeeding task'
/** Issue 22's budgets: Faultline / plain tRPC, instructions per call, steady state. */
export const BUDGETS: Record<Budget, number> = {
  success: 1.03,
  error: 1.25,
  rehydration: 1.3,
  'failing task': 2,
  'succeeding task': 1.6,
}
/** The failing task's other budget: instructions of garbage collection per task. */
export const TASK_GC_BUDGET = 10_000

const both: Transformers = ['json', 'superjson']
const json: Transformers = ['json']
export const CASES = {
  success: {
    kind: 'fetch',
    label: 'success',
    path: 'ok',
    status: 200,
    logLines: 0,
    budget: 'success',
    transformers: both,
  },
  declared: {
    kind: 'fetch',
    label: 'declared error',
    path: 'declared',
    status: 404,
    logLines: 1,
    budget: 'error',
    transformers: both,
  },
  crash: {
    kind: 'fetch',
    label: 'unexpected crash',
    path: 'crash',
    status: 500,
    logLines: 1,
    budget: 'error',
    transformers: both,
  },
  input: {
    kind: 'fetch',
    label: 'input validation failure',
    path: 'validate',
    status: 400,
    logLines: 1,
    budget: 'error',
    transformers: both,
  },
  output: {
    kind: 'fetch',
    label: 'output validation failure',
    path: 'badOutput',
    status: 500,
    logLines: 1,
    budget: 'error',
    transformers: both,
  },
  batch: {
    kind: 'fetch',
    label: 'batch of 4 mixed',
    path: 'batch',
    status: 207,
    logLines: 3,
    budget: 'error',
    transformers: both,
  },
  taskFails: {
    kind: 'fetch',
    label: 'queues a failing task',
    path: 'queueFailing',
    task: 'fails',
    status: 200,
    logLines: 1,
    budget: 'failing task',
    transformers: both,
  },
  taskSucceeds: {
    kind: 'fetch',
    label: 'queues a succeeding task',
    path: 'queueSucceeding',
    task: 'succeeds',
    status: 200,
    logLines: 0,
    budget: 'succeeding task',
    transformers: both,
  },
  successCaller: {
    kind: 'caller',
    label: 'success (createCaller)',
    path: 'ok',
    logLines: 0,
    budget: 'success',
    transformers: both,
  },
  middlewareCaller: {
    kind: 'caller',
    label: 'success through a context middleware (createCaller)',
    path: 'okThroughMiddleware',
    logLines: 0,
    budget: 'success',
    transformers: both,
  },
  taskFailsCaller: {
    kind: 'caller',
    label: 'queues a failing task (createCaller)',
    path: 'queueFailing',
    task: 'fails',
    logLines: 1,
    budget: 'failing task',
    transformers: both,
  },
  taskSucceedsCaller: {
    kind: 'caller',
    label: 'queues a succeeding task (createCaller)',
    path: 'queueSucceeding',
    task: 'succeeds',
    logLines: 0,
    budget: 'succeeding task',
    transformers: both,
  },
  rehydrateDeclared: {
    kind: 'client',
    label: 'rehydrate a declared error',
    path: 'declared',
    logLines: 0,
    budget: 'rehydration',
    transformers: json,
  },
  rehydrateCrash: {
    kind: 'client',
    label: 'rehydrate a crash',
    path: 'crash',
    logLines: 0,
    budget: 'rehydration',
    transformers: json,
  },
  rehydrateInput: {
    kind: 'client',
    label: 'rehydrate an input validation failure',
    path: 'validate',
    logLines: 0,
    budget: 'rehydration',
    transformers: json,
  },
  rehydrateOutput: {
    kind: 'client',
    label: 'rehydrate an output validation failure',
    path: 'badOutput',
    logLines: 0,
    budget: 'rehydration',
    transformers: json,
  },
} satisfies Record<string, Case>
export type CaseName = keyof typeof CASES
export const CASE_NAMES = Object.keys(CASES) as CaseName[]
