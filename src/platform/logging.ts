import pino, { type Logger } from 'pino'

/** Object-first structured logs. Redaction is a last guard: collectors never pass personal data. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'eosc-am' },
    redact: { paths: ['req.headers.authorization', '*.user', '*.token', '*.password'], censor: '[redacted]' },
  })
}
