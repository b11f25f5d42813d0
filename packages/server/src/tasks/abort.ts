// Watching an AbortSignal from many places at once. A runner hands one signal to every attempt
// it runs; a listener on it for each attempt would cost an EventTarget registration and removal
// each (and trip Node's max-listeners warning past ten at once), so each signal gets one
// listener, and what watches it is a set entry.

const watchers = new WeakMap<AbortSignal, Set<() => void>>()

/**
 * Calls `onAbort` once when `signal` aborts (at once if it already has);
 * returns a function that stops watching.
 */
export function whenAborted(signal: AbortSignal, onAbort: () => void): () => void {
  if (signal.aborted) {
    onAbort()
    return () => {}
  }
  let set = watchers.get(signal)
  if (!set) {
    const created = new Set<() => void>()
    set = created
    watchers.set(signal, created)
    signal.addEventListener(
      'abort',
      () => {
        watchers.delete(signal)
        for (const watcher of [...created]) watcher()
        created.clear()
      },
      { once: true },
    )
  }
  const watching = set
  watching.add(onAbort)
  return () => {
    watching.delete(onAbort)
  }
}
