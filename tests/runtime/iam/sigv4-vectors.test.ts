// SigV4 verification against the AWS Signature Version 4 test suite's
// published cases (aws-sig-v4-test-suite: the .req requests, the hash of the
// canonical request on the last line of each .sts, the .authz headers),
// written out here: every request verifies with the suite's key at the suite's
// time, its canonical request hashes to the published value, and any change
// to what was signed fails.
import t from 'tap'
import { SigV4Verifier, type KeyOwner } from '../../../runtime/iam/sigv4.js'
import { canonicalRequest, headerMap, sha256Hex, EMPTY_SHA256 } from '../../../runtime/iam/sigv4-canonical.js'
import { rootPrincipal } from '../../../runtime/iam/principal.js'
import type { SignedRequest } from '../../../runtime/api/security.js'

const KEY = 'AKIDEXAMPLE'
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'
const SUITE_TIME = Date.UTC(2015, 7, 30, 12, 36, 0)
const SCOPE = `Credential=${KEY}/20150830/us-east-1/service/aws4_request`
const HOST = ['Host', 'example.amazonaws.com']
const DATE = ['X-Amz-Date', '20150830T123600Z']

interface Vector {
  name: string
  method: string
  path: string
  query?: string
  headers: string[]
  body?: string
  signedHeaders: string
  /** The .authz signature; undefined for cases whose .authz this file does not carry (the canonical hash is checked). */
  signature?: string
  /** The last line of the .sts: sha256 of the canonical request. */
  canonicalHash: string
}

const VECTORS: Vector[] = [
  { name: 'get-vanilla', method: 'GET', path: '/', headers: [...HOST, ...DATE], signedHeaders: 'host;x-amz-date',
    signature: '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31', canonicalHash: 'bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63' },
  { name: 'get-vanilla-empty-query-key', method: 'GET', path: '/', query: 'Param1=value1', headers: [...HOST, ...DATE], signedHeaders: 'host;x-amz-date',
    signature: 'a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb', canonicalHash: '1e24db194ed7d0eec2de28d7369675a243488e08526e8c1c73571282f7c517ab' },
  { name: 'get-vanilla-query-order-key', method: 'GET', path: '/', query: 'Param1=value2&Param1=Value1', headers: [...HOST, ...DATE], signedHeaders: 'host;x-amz-date',
    signature: 'eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1', canonicalHash: '704b4cef673542d84cdff252633f065e8daeba5f168b77116f8b1bcaf3d38f89' },
  { name: 'get-vanilla-query-order-key-case', method: 'GET', path: '/', query: 'Param2=value2&Param1=value1', headers: [...HOST, ...DATE], signedHeaders: 'host;x-amz-date',
    signature: 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500', canonicalHash: '816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0' },
  { name: 'get-vanilla-query-order-value', method: 'GET', path: '/', query: 'Param1=value2&Param1=value1', headers: [...HOST, ...DATE], signedHeaders: 'host;x-amz-date',
    signature: '5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694', canonicalHash: 'c968629d70850097a2d8781c9bf7edcb988b04cac14cca9be4acc3595f884606' },
  { name: 'get-vanilla-query-unreserved', method: 'GET', path: '/',
    query: '-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
    headers: [...HOST, ...DATE], signedHeaders: 'host;x-amz-date',
    signature: '9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197', canonicalHash: 'c30d4703d9f799439be92736156d47ccfb2d879ddf56f5befa6d1d6aab979177' },
  // The suite writes the query unencoded (`/?ሴ=bar`); on the wire it arrives percent-encoded.
  { name: 'get-vanilla-utf8-query', method: 'GET', path: '/', query: '%E1%88%B4=bar', headers: [...HOST, ...DATE], signedHeaders: 'host;x-amz-date',
    signature: '2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04', canonicalHash: 'eb30c5bed55734080471a834cc727ae56beb50e5f39d1bff6d0d38cb192a7073' },
  { name: 'get-unreserved', method: 'GET', path: '/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', headers: [...HOST, ...DATE], signedHeaders: 'host;x-amz-date',
    signature: '07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f', canonicalHash: '6a968768eefaa713e2a6b16b589a8ea192661f098f37349f4e2c0082757446f9' },
  { name: 'get-utf8', method: 'GET', path: '/ሴ', headers: [...HOST, ...DATE], signedHeaders: 'host;x-amz-date',
    canonicalHash: '2a0a97d02205e45ce2e994789806b19270cfbbb0921b278ccf58f5249ac42102' },
  { name: 'get-space', method: 'GET', path: '/example space/', headers: [...HOST, ...DATE], signedHeaders: 'host;x-amz-date',
    signature: '652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741', canonicalHash: '63ee75631ed7234ae61b5f736dfc7754cdccfedbff4b5128a915706ee9390d86' },
  { name: 'get-header-key-duplicate', method: 'GET', path: '/', headers: [...HOST, 'My-Header1', 'value2', 'My-Header1', 'value2', 'My-Header1', 'value1', ...DATE],
    signedHeaders: 'host;my-header1;x-amz-date',
    signature: 'c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea', canonicalHash: 'dc7f04a3abfde8d472b0ab1a418b741b7c67174dad1551b4117b15527fbe966c' },
  { name: 'get-header-value-order', method: 'GET', path: '/', headers: [...HOST, 'My-Header1', 'value4', 'My-Header1', 'value1', 'My-Header1', 'value3', 'My-Header1', 'value2', ...DATE],
    signedHeaders: 'host;my-header1;x-amz-date',
    signature: '08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01', canonicalHash: '31ce73cd3f3d9f66977ad3dd957dc47af14df92fcd8509f59b349e9137c58b86' },
  { name: 'get-header-value-trim', method: 'GET', path: '/', headers: [...HOST, 'My-Header1', ' value1', 'My-Header2', ' "a   b   c"', ...DATE],
    signedHeaders: 'host;my-header1;my-header2;x-amz-date',
    signature: 'acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736', canonicalHash: 'a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7' },
  { name: 'post-vanilla', method: 'POST', path: '/', headers: [...HOST, ...DATE], signedHeaders: 'host;x-amz-date',
    signature: '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b', canonicalHash: '553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87' },
  { name: 'post-vanilla-query', method: 'POST', path: '/', query: 'Param1=value1', headers: [...HOST, ...DATE], signedHeaders: 'host;x-amz-date',
    signature: '28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11', canonicalHash: '9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd' },
  { name: 'post-header-key-case', method: 'POST', path: '/', headers: [...HOST, ...DATE], signedHeaders: 'host;x-amz-date',
    signature: '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b', canonicalHash: '553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87' },
  { name: 'post-header-key-sort', method: 'POST', path: '/', headers: [...HOST, 'My-Header1', 'value1', ...DATE], signedHeaders: 'host;my-header1;x-amz-date',
    signature: 'c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c', canonicalHash: '9368318c2967cf6de74404b30c65a91e8f6253e0a8659d6d5319f1a812f87d65' },
  { name: 'post-header-value-case', method: 'POST', path: '/', headers: [...HOST, 'My-Header1', 'VALUE1', ...DATE], signedHeaders: 'host;my-header1;x-amz-date',
    signature: 'cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d', canonicalHash: 'd51ced243e649e3de6ef63afbbdcbca03131a21a7103a1583706a64618606a93' },
  // The suite's .creq lists content-length, its .authz (and .sts) do not: the signed headers are the .authz's.
  { name: 'post-x-www-form-urlencoded', method: 'POST', path: '/', headers: ['Content-Type', 'application/x-www-form-urlencoded', ...HOST, ...DATE, 'Content-Length', '13'],
    body: 'Param1=value1', signedHeaders: 'content-type;host;x-amz-date',
    signature: 'ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a', canonicalHash: '42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281' },
  { name: 'get-relative', method: 'GET', path: '/example/..', headers: [...HOST, ...DATE], signedHeaders: 'host;x-amz-date',
    signature: '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31', canonicalHash: 'bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63' },
  { name: 'get-relative-relative', method: 'GET', path: '/example1/example2/../..', headers: [...HOST, ...DATE], signedHeaders: 'host;x-amz-date',
    signature: '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31', canonicalHash: 'bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63' },
  { name: 'get-slash', method: 'GET', path: '//', headers: [...HOST, ...DATE], signedHeaders: 'host;x-amz-date',
    signature: '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31', canonicalHash: 'bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63' },
  { name: 'get-slash-dot-slash', method: 'GET', path: '/./', headers: [...HOST, ...DATE], signedHeaders: 'host;x-amz-date',
    signature: '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31', canonicalHash: 'bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63' },
  { name: 'get-slash-pointless-dot', method: 'GET', path: '/./example', headers: [...HOST, ...DATE], signedHeaders: 'host;x-amz-date',
    signature: 'ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5', canonicalHash: '214d50c111a8edc4819da6a636336472c916b5240f51e9a51b5c3305180cf702' },
  { name: 'get-slashes', method: 'GET', path: '//example//', headers: [...HOST, ...DATE], signedHeaders: 'host;x-amz-date',
    signature: '9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84', canonicalHash: 'cb96b4ac96d501f7c5c15bc6d67b3035061cfced4af6585ad927f7e6c985c015' }
]

const owner: KeyOwner = { secretAccessKey: SECRET, principal: rootPrincipal('000000000000') }
const verifier = new SigV4Verifier({ lookup: (id) => (id === KEY ? owner : undefined), now: () => SUITE_TIME })

function requestOf(v: Vector, authorization: string): SignedRequest {
  return {
    method: v.method, rawPath: v.path, rawQuery: v.query ?? '', body: Buffer.from(v.body ?? ''),
    rawHeaders: [...v.headers, 'Authorization', authorization]
  }
}

for (const v of VECTORS) {
  t.test(v.name, async (t) => {
    const body = Buffer.from(v.body ?? '')
    const canonical = canonicalRequest({
      method: v.method, rawPath: v.path, rawQuery: v.query ?? '', headers: headerMap(v.headers), signedHeaders: v.signedHeaders.split(';'),
      payloadHash: body.length === 0 ? EMPTY_SHA256 : sha256Hex(body)
    })
    t.equal(sha256Hex(canonical), v.canonicalHash, 'the canonical request hashes to the .sts value')
    if (v.signature === undefined) return
    const authorization = `AWS4-HMAC-SHA256 ${SCOPE}, SignedHeaders=${v.signedHeaders}, Signature=${v.signature}`
    const principal = verifier.verify(requestOf(v, authorization))
    t.equal(principal.arn, 'arn:aws:iam::000000000000:root')
    t.equal(principal.accessKeyId, KEY)
    const wrong = v.signature!.slice(0, 63) + (v.signature.endsWith('0') ? '1' : '0')
    t.throws(() => verifier.verify(requestOf(v, authorization.replace(v.signature!, wrong))), { code: 'InvalidSignature', kind: 'AccessDenied' })
  })
}

t.test('a change to the method, path, query or a signed header of a suite request fails its signature', async (t) => {
  const v = VECTORS.find((x) => x.name === 'post-header-key-sort')!
  const authorization = `AWS4-HMAC-SHA256 ${SCOPE}, SignedHeaders=${v.signedHeaders}, Signature=${v.signature}`
  t.ok(verifier.verify(requestOf(v, authorization)))
  const mismatch = { code: 'InvalidSignature', message: /^The request signature we calculated does not match the signature you provided\./ }
  t.throws(() => verifier.verify(requestOf({ ...v, method: 'PUT' }, authorization)), mismatch)
  t.throws(() => verifier.verify(requestOf({ ...v, path: '/other' }, authorization)), mismatch)
  t.throws(() => verifier.verify(requestOf({ ...v, query: 'a=b' }, authorization)), mismatch)
  t.throws(() => verifier.verify(requestOf({ ...v, headers: [...HOST, 'My-Header1', 'value2', ...DATE] }, authorization)), mismatch)
  t.throws(() => verifier.verify(requestOf({ ...v, body: 'x' }, authorization)), mismatch, 'the body is part of the signature')
  t.ok(verifier.verify(requestOf({ ...v, headers: [...v.headers, 'X-Unsigned', 'anything'] }, authorization)), 'an unsigned header may change')
})
