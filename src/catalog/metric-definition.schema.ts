import { z } from 'zod'

export const METRIC_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/

/**
 * `sum` for additive quantities (CPU hours); `max`, `avg` and `last` for levels (storage occupied):
 * those combine over time per series and then add up across series.
 */
export const Aggregation = z.enum(['sum', 'max', 'avg', 'last'])
export type Aggregation = z.infer<typeof Aggregation>

export const MetricDefinitionInput = z.strictObject({
  unit: z.string().min(1).max(64),
  aggregation: Aggregation,
  description: z.string().max(2000).default(''),
})

export const MetricDefinition = MetricDefinitionInput.extend({ id: z.string() })
export type MetricDefinition = z.infer<typeof MetricDefinition>
