// Calls of the Stratus-only API (`POST /stratus/v1/<Operation>`, stratusJson,
// signing name `stratus`; see README.md): JSON in, JSON out, or an NDJSON
// stream for results that go on (logs, events).

import { encode } from './codec.js'
import type { ErrorFamily } from './errors.js'
import type { WireClient } from './wire.js'

export class StratusApi {
  readonly #wire: WireClient

  constructor(wire: WireClient) {
    this.#wire = wire
  }

  call<O>(operation: string, input: unknown, options: { family?: ErrorFamily; long?: boolean } = {}): Promise<O> {
    return this.#wire.json({
      service: 'stratus', path: `/stratus/v1/${operation}`, body: encode(input), family: options.family ?? 'stratus', ...(options.long ? { long: true } : {})
    }) as Promise<O>
  }

  stream(operation: string, input: unknown, signal?: AbortSignal): AsyncGenerator<unknown> {
    return this.#wire.ndjson({ service: 'stratus', path: `/stratus/v1/${operation}`, body: encode(input), family: 'stratus', ...(signal ? { signal } : {}) })
  }
}
