// Shared set-up of the wire API tests: the official AWS SDK v3 clients
// pointed at an embedded cloud's endpoint, with any credentials. Not a test
// file (tap runs *.test.ts only).
import { Stratus, type EmbeddedOptions } from '../../../sdk/index.js'

process.env.AWS_SDK_JS_NODE_VERSION_SUPPRESS_WARNING = 'true'
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'

export const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' }

/** What every client is built with: the cloud's endpoint, us-east-1, any key, no retries (an error surfaces at once). */
export function clientConfig(cloud: Stratus) {
  return { endpoint: `http://${cloud.endpoint}`, region: 'us-east-1', credentials, maxAttempts: 1 }
}

/** The whole engine in this process: manual clock, simulated runner. */
export function simulatedCloud(options: EmbeddedOptions = {}): Promise<Stratus> {
  return Stratus.embedded({ clock: 'manual', runner: 'simulated', ...options })
}

import { SignatureV4 } from '@smithy/signature-v4'
import { Hash } from '@smithy/hash-node'

/** A SigV4-signed request (as an SDK would send it), answered with status, headers and body text. */
export async function signedRequest(endpoint: string, request: {
  service: string; method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer
}): Promise<{ status: number; headers: Headers; text: string }> {
  const [hostname, port] = endpoint.split(':')
  const signer = new SignatureV4({ service: request.service, region: 'us-east-1', credentials, sha256: Hash.bind(null, 'sha256') })
  const signed = await signer.sign({
    method: request.method ?? 'POST', protocol: 'http:', hostname, port: Number(port), path: request.path ?? '/',
    headers: { host: endpoint, ...request.headers }, body: request.body
  })
  const res = await fetch(`http://${endpoint}${request.path ?? '/'}`, { method: signed.method, headers: signed.headers, body: request.body })
  return { status: res.status, headers: res.headers, text: await res.text() }
}
