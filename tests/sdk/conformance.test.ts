// The SDK conformance suite: the same tests (conformance-kit.ts) against the
// embedded SDK and the remote SDK (`Stratus.connect` to a real engine's wire
// API on 127.0.0.1). STRATUS_SDK=embedded or =remote runs one half.
import t from 'tap'
import { conformance, embeddedSdk, remoteSdk, type OpenSdk } from './conformance-kit.js'

const implementations: Array<[string, OpenSdk]> = [['embedded', embeddedSdk], ['remote', remoteSdk]]
const only = process.env.STRATUS_SDK

for (const [name, open] of implementations) {
  if (only !== undefined && only !== name) continue
  t.test(`${name} SDK`, async (t) => conformance(t, open))
}
