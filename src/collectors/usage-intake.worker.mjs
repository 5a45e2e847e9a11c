// Worker entry: loads the TypeScript worker through tsx, which a worker thread does not inherit.
import { tsImport } from 'tsx/esm/api'

await tsImport('./usage-intake.worker.ts', import.meta.url)
