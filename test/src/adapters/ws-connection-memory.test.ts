// A WebSocket connection makes one context, so its request scope lives as long as the connection:
// what the scope keeps of each failure must go once the call is answered, or a busy connection
// grows without bound.
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { safe } from '@faultline/client'
import { expect, test } from 'vitest'
import { wsAdapter } from './fixtures/ws'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

test('a long-lived WebSocket connection keeps no failure of the calls it has answered', async () => {
  const under = await wsAdapter()
  try {
    const client = under.client('ws-long')
    const thrown: WeakRef<object>[] = []
    under.app.hooks.onCrash = (error) => thrown.push(new WeakRef(error))
    for (let i = 0; i < 20; i++) {
      const [, err] = await safe(client.crash.query())
      expect(err).toMatchObject({ code: 'INTERNAL' })
    }
    expect(thrown).toHaveLength(20)
    // the connection stays open: only its scope could still hold the thrown errors
    for (let i = 0; i < 5 && thrown.some((ref) => ref.deref()); i++) {
      await new Promise((resolve) => setTimeout(resolve, 10))
      gc()
    }
    expect(thrown.filter((ref) => ref.deref() !== undefined)).toHaveLength(0)
  } finally {
    await under.close()
  }
})
