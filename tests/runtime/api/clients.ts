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
