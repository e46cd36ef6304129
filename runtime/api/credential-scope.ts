// The service name of a SigV4 credential scope (`<key>/<date>/<region>/<service>/aws4_request`),
// from the Authorization header or a presigned query string, without
// verifying anything: the router uses it to pick an awsQuery table when no
// Authenticator is mounted (with one, its signingService() answers).

const HEADER = /Credential=[^/,\s]+\/\d{8}\/[^/,\s]+\/([^/,\s]+)\/aws4_request/
const QUERY = /(?:^|&)X-Amz-Credential=[^&]*?(?:%2F|\/)\d{8}(?:%2F|\/)[^&%/]+(?:%2F|\/)([^&%/]+)(?:%2F|\/)aws4_request/i

export function credentialScopeService(authorization: string | undefined, rawQuery: string): string | undefined {
  if (authorization !== undefined) {
    const m = HEADER.exec(authorization)
    if (m !== null) return m[1]
  }
  if (rawQuery !== '') {
    const m = QUERY.exec(rawQuery)
    if (m !== null) return m[1]
  }
  return undefined
}
