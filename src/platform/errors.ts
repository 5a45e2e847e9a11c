/** An error the API turns into `{"error":{code,message,details}}` with its HTTP status. */
export class AppError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details: unknown[] = [],
  ) {
    super(message)
  }
}

/**
 * An infrastructure failure (store or broker down). `retriable` is what retry() and the API look
 * at — never the message text.
 */
export class InfraError extends Error {
  readonly retriable: boolean
  constructor(readonly code: string, message: string, opts: { retriable: boolean; cause?: unknown }) {
    super(message, { cause: opts.cause })
    this.retriable = opts.retriable
  }
}

export const badRequest = (code: string, message: string, details: unknown[] = []) =>
  new AppError(400, code, message, details)
export const forbidden = (message: string) => new AppError(403, 'FORBIDDEN', message)
export const notFound = (message: string) => new AppError(404, 'NOT_FOUND', message)
