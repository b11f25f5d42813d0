/** Runs `fn` on a later turn of the event loop: a macrotask (`setImmediate` where the runtime has it). */
export const nextTurn: (fn: () => void) => void =
  typeof setImmediate === 'function' ? (fn) => void setImmediate(fn) : (fn) => void setTimeout(fn, 0)
