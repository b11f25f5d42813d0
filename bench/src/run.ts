// pnpm bench: the client bundle, the type-check cost at three sizes and the
// micro benchmarks, each against plain tRPC. Figures go to BENCHMARKS.md.
import { cpus, totalmem } from 'node:os'
import { measureBundle } from './bundle'
import { runMicro, runTaskPath } from './micro'
import { measureTypes } from './types'

console.log(`Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model}, ${Math.round(totalmem() / 2 ** 30)} GiB`)

const [plain, faultline, withFetch] = await Promise.all([
  measureBundle('plain'),
  measureBundle('faultline'),
  measureBundle('faultline-fetch'),
])
console.table({
  'plain tRPC': { minBytes: plain.minBytes, gzipBytes: plain.gzipBytes, added: 0 },
  '+ link and helpers': {
    minBytes: faultline.minBytes,
    gzipBytes: faultline.gzipBytes,
    added: faultline.gzipBytes - plain.gzipBytes,
  },
  '+ faultlineFetch too': {
    minBytes: withFetch.minBytes,
    gzipBytes: withFetch.gzipBytes,
    added: withFetch.gzipBytes - plain.gzipBytes,
  },
})

const sizes = (process.env.BENCH_SIZES ?? '300,1000,3000').split(',').map(Number)
const typeRows = sizes.map((n) => {
  const p = measureTypes('plain', n)
  const f = measureTypes('faultline', n)
  const r = measureTypes('faultline', n, { registered: true })
  const ratio = (x: number) => Number((x / p.instantiations).toFixed(3))
  return {
    procedures: n,
    plainInstantiations: p.instantiations,
    faultlineInstantiations: f.instantiations,
    ratio: ratio(f.instantiations),
    registeredInstantiations: r.instantiations,
    registeredRatio: ratio(r.instantiations),
    checkS: `${p.checkSeconds} / ${f.checkSeconds} / ${r.checkSeconds}`,
    memMb: [p, f, r].map((c) => Math.round(c.memoryKb / 1024)).join(' / '),
  }
})
console.table(typeRows)

// where the added instantiations come from, at the smallest size: one piece of Faultline at a time,
// without and with the catalog registered
const smallest = sizes[0] ?? 300
const plainAtSmallest = measureTypes('plain', smallest).instantiations
const stages = (['catalog', 'formatter', 'declared', 'faultline'] as const).map((variant) => ({ variant }))
let previous = plainAtSmallest
let previousRegistered = plainAtSmallest
console.table(
  stages.map(({ variant }) => {
    const { instantiations } = measureTypes(variant, smallest)
    const registered = measureTypes(variant, smallest, { registered: true }).instantiations
    const row = {
      procedures: smallest,
      stage: variant,
      instantiations,
      added: instantiations - previous,
      registered,
      addedRegistered: registered - previousRegistered,
    }
    previous = instantiations
    previousRegistered = registered
    return row
  }),
)

console.table(await runMicro())
console.table([await runTaskPath()])
