import { availabilityBench } from './availability.bench.js'
import { ingestBench } from './ingest.bench.js'
import { kafkaIngestBench } from './ingest-kafka.bench.js'
import { usageReportBench } from './usage-report.bench.js'

/** `npm run bench [name...]`: runs the named benchmarks (default all), results in bench/results/. */
const benches: Record<string, () => Promise<void>> = {
  ingest: ingestBench,
  'ingest-kafka': kafkaIngestBench,
  'usage-report': usageReportBench,
  availability: availabilityBench,
}

const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(benches)
for (const name of names) {
  const run = benches[name]
  if (!run) throw new Error(`unknown benchmark ${name}; known: ${Object.keys(benches).join(', ')}`)
  console.log(`\n== ${name}`)
  await run()
}
