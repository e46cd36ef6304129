// ACM on the wire: the official @aws-sdk/client-acm against a real engine
// endpoint (request → describe with its CNAME → GetCertificate refused while
// pending → confirm over the remote SDK → ISSUED, the PEMs verified against
// the engine's root; the quota of 10 names; list filters and pagination;
// tags; import of a user's own certificate with the key check; delete), the
// aws CLI (one call), IAM (acm:DeleteCertificate denied by aws:ResourceTag), and the table against ACM's
// model (required members, exception names).
import t from 'tap'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { X509Certificate } from 'node:crypto'
import * as acmModel from '@aws-sdk/client-acm'
import {
  ACMClient, RequestCertificateCommand, DescribeCertificateCommand, GetCertificateCommand, ListCertificatesCommand, DeleteCertificateCommand,
  AddTagsToCertificateCommand, RemoveTagsFromCertificateCommand, ListTagsForCertificateCommand, ImportCertificateCommand
} from '@aws-sdk/client-acm'
import { Stratus } from '../../sdk/index.js'
import { acmError, acmTable, ACM_EXCEPTIONS } from '../../runtime/api/tables/acm.js'
import { ACM_TIMESTAMP_MEMBERS } from '../../runtime/acm/index.js'
import { CertificateAuthority } from '../../runtime/acm/authority.js'
import { MemoryStore } from '../../runtime/store/memory.js'
import { StratusError } from '../../runtime/errors.js'
import { AWS_CLI, requireTool } from '../tools.js'
import { clientConfig, credentials, simulatedCloud } from '../runtime/api/clients.js'

const exec = promisify(execFile)

async function rejection(promise: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  try {
    await promise
  } catch (error) {
    const e = error as { name: string; message: string; $metadata?: { httpStatusCode?: number } }
    return { name: e.name, message: e.message, ...(e.$metadata?.httpStatusCode !== undefined ? { status: e.$metadata.httpStatusCode } : {}) }
  }
  throw new Error('expected a rejection')
}

t.test('the official ACM client against the engine', async (t) => {
  const cloud = await simulatedCloud()
  t.teardown(() => cloud.close())
  const client = new ACMClient(clientConfig(cloud))
  t.teardown(() => client.destroy())

  const { CertificateArn } = await client.send(new RequestCertificateCommand({
    DomainName: 'shop.example.net', SubjectAlternativeNames: ['*.shop.example.net'], ValidationMethod: 'DNS', Tags: [{ Key: 'env', Value: 'test' }]
  }))
  t.match(CertificateArn, /^arn:aws:acm:us-east-1:000000000000:certificate\//)
  const pending = (await client.send(new DescribeCertificateCommand({ CertificateArn }))).Certificate!
  t.equal(pending.Status, 'PENDING_VALIDATION')
  t.ok(pending.CreatedAt instanceof Date, 'CreatedAt is a timestamp on the wire')
  t.match(pending.DomainValidationOptions?.[0].ResourceRecord, { Type: 'CNAME', Name: /^_[0-9a-f]{32}\.shop\.example\.net\.$/, Value: /\.acm-validations\.aws\.$/ })
  const early = await rejection(client.send(new GetCertificateCommand({ CertificateArn })))
  t.equal(early.name, 'RequestInProgressException', 'GetCertificate before issue')
  t.equal(early.status, 400)

  const remote = await Stratus.connect(`http://${cloud.endpoint}`, { credentials })
  t.teardown(() => remote.close())
  const handle = remote.acm.certificate(CertificateArn!)
  const confirmed = await handle.confirmValidation()
  t.equal(confirmed.Status, 'ISSUED', 'the remote SDK confirms the validation')
  t.ok(confirmed.NotAfter instanceof Date, 'dates revived remotely')
  const root = await remote.acm.authorityCertificate()
  t.equal(root, await cloud.engine.acm.authorityCertificate(), 'the root PEM over /stratus/')

  const got = await client.send(new GetCertificateCommand({ CertificateArn }))
  const leaf = new X509Certificate(got.Certificate!)
  t.ok(leaf.verify(new X509Certificate(got.CertificateChain!).publicKey), 'the certificate verifies against its chain')
  t.equal(got.CertificateChain, root, 'the chain is the root')
  t.equal(leaf.checkHost('cart.shop.example.net'), '*.shop.example.net')

  const tooMany = await rejection(client.send(new RequestCertificateCommand({ DomainName: 'example.net', SubjectAlternativeNames: Array.from({ length: 10 }, (_, i) => `h${i}.example.net`) })))
  t.equal(tooMany.name, 'LimitExceededException', '11 names: LimitExceededException')
  t.match(tooMany.message, /10 domain names per certificate/)
  const missing = await rejection(client.send(new DescribeCertificateCommand({} as never)))
  t.equal(missing.name, 'ValidationException', 'a missing required member')
  t.match(missing.message, /certificateArn/)
  const bad = await rejection(client.send(new DescribeCertificateCommand({ CertificateArn: 'arn:aws:acm:us-east-1:000000000000:nope' })))
  t.equal(bad.name, 'InvalidArnException')

  // Tags.
  await client.send(new AddTagsToCertificateCommand({ CertificateArn, Tags: [{ Key: 'owner', Value: 'shop' }] }))
  await client.send(new RemoveTagsFromCertificateCommand({ CertificateArn, Tags: [{ Key: 'env' }] }))
  t.same((await client.send(new ListTagsForCertificateCommand({ CertificateArn }))).Tags, [{ Key: 'owner', Value: 'shop' }], 'tags added and removed')
  const reserved = await rejection(client.send(new AddTagsToCertificateCommand({ CertificateArn, Tags: [{ Key: 'aws:x', Value: 'y' }] })))
  t.equal(reserved.name, 'InvalidTagException')

  // ListCertificates: ACM's default filter is RSA_2048; pagination.
  for (let i = 0; i < 3; i++) await client.send(new RequestCertificateCommand({ DomainName: `p${i}.example.net` }))
  const ec = (await client.send(new RequestCertificateCommand({ DomainName: 'ec.example.net', KeyAlgorithm: 'EC_prime256v1' }))).CertificateArn
  const rsa = (await client.send(new ListCertificatesCommand({}))).CertificateSummaryList!
  t.equal(rsa.length, 4, 'RSA_2048 only by default')
  t.notOk(rsa.some((s) => s.CertificateArn === ec))
  const all = await client.send(new ListCertificatesCommand({ Includes: { keyTypes: ['RSA_2048', 'EC_prime256v1'] }, MaxItems: 2 }))
  t.equal(all.CertificateSummaryList!.length, 2)
  t.ok(all.NextToken, 'a NextToken when more remain')
  const rest = await client.send(new ListCertificatesCommand({ Includes: { keyTypes: ['RSA_2048', 'EC_prime256v1'] }, MaxItems: 10, NextToken: all.NextToken }))
  t.equal(rest.CertificateSummaryList!.length, 3, 'the rest on the next page')
  t.notOk(rest.NextToken)
  const issuedOnly = await client.send(new ListCertificatesCommand({ CertificateStatuses: ['ISSUED'] }))
  t.same(issuedOnly.CertificateSummaryList!.map((s) => s.CertificateArn), [CertificateArn], 'CertificateStatuses filters')

  // In use (an ELB listener): delete refused.
  cloud.engine.acm.markInUse(CertificateArn!, 'arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/shop/0123456789abcdef')
  const inUse = await rejection(client.send(new DeleteCertificateCommand({ CertificateArn })))
  t.equal(inUse.name, 'ResourceInUseException')
  t.equal((await client.send(new DescribeCertificateCommand({ CertificateArn }))).Certificate!.InUseBy!.length, 1, 'InUseBy names the load balancer')
  cloud.engine.acm.unmarkInUse(CertificateArn!, 'arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/shop/0123456789abcdef')
  await client.send(new DeleteCertificateCommand({ CertificateArn }))
  t.equal((await rejection(client.send(new DescribeCertificateCommand({ CertificateArn })))).name, 'ResourceNotFoundException', 'deleted')
})

t.test('ImportCertificate: a user\'s own certificate and key', async (t) => {
  const cloud = await simulatedCloud()
  t.teardown(() => cloud.close())
  const client = new ACMClient(clientConfig(cloud))
  t.teardown(() => client.destroy())
  const theirs = await CertificateAuthority.open(new MemoryStore(), { now: Date.now(), name: 'Their CA' })
  const now = cloud.engine.clock.now()
  const own = await theirs.issue({ names: ['mine.example.org'], keyAlgorithm: 'EC_prime256v1', notBefore: now - 1000, notAfter: now + 30 * 86_400_000, now })
  const other = await theirs.issue({ names: ['other.example.org'], keyAlgorithm: 'EC_prime256v1', notBefore: now - 1000, notAfter: now + 30 * 86_400_000, now })
  const mismatch = await rejection(client.send(new ImportCertificateCommand({ Certificate: Buffer.from(own.certPem), PrivateKey: Buffer.from(other.keyPem) })))
  t.equal(mismatch.name, 'ValidationException', 'a key that is not the certificate\'s: refused')
  t.match(mismatch.message, /does not match/)
  const garbage = await rejection(client.send(new ImportCertificateCommand({ Certificate: Buffer.from('not a pem'), PrivateKey: Buffer.from(own.keyPem) })))
  t.match(garbage.message, /Unable to parse certificate/)
  const { CertificateArn } = await client.send(new ImportCertificateCommand({
    Certificate: Buffer.from(own.certPem), PrivateKey: Buffer.from(own.keyPem), CertificateChain: Buffer.from(theirs.certificatePem), Tags: [{ Key: 'src', Value: 'import' }]
  }))
  const detail = (await client.send(new DescribeCertificateCommand({ CertificateArn }))).Certificate!
  t.equal(detail.Type, 'IMPORTED')
  t.equal(detail.Status, 'ISSUED')
  t.equal(detail.DomainName, 'mine.example.org')
  t.equal(detail.KeyAlgorithm, 'EC_prime256v1')
  t.equal(detail.RenewalEligibility, 'INELIGIBLE', 'imported: not renewed by ACM')
  t.ok(detail.ImportedAt instanceof Date)
  const served = cloud.engine.acm.get(CertificateArn!)
  t.equal(served?.certPem.trim(), own.certPem.trim(), 'CertificateSource serves the imported certificate')
  await cloud.clock.advance(31 * 86_400_000)
  t.equal((await client.send(new DescribeCertificateCommand({ CertificateArn }))).Certificate!.Status, 'EXPIRED', 'past its NotAfter: EXPIRED')
  t.equal(cloud.engine.acm.get(CertificateArn!), undefined, 'and no longer served')
})

t.test('aws acm (the CLI) and IAM', async (t) => {
  const why = await requireTool('aws')
  if (why !== undefined) return t.skip(why)
  const KEY = { accessKeyId: 'AKIAACMWIRETEST00001', secretAccessKey: 'acm/wire/test/secret/key/000000000000000' }
  const cloud = await Stratus.embedded({
    clock: 'manual', runner: 'simulated', auth: 'iam',
    iam: { users: [{ userName: 'ops', accessKeys: [KEY], policies: [{ policyName: 'acm', policyDocument: { Version: '2012-10-17', Statement: [
      { Effect: 'Allow', Action: 'acm:*', Resource: '*' },
      { Effect: 'Deny', Action: 'acm:DeleteCertificate', Resource: '*', Condition: { StringEquals: { 'aws:ResourceTag/keep': 'yes' } } }
    ] } }] }] }
  })
  t.teardown(() => cloud.close())
  const home = await mkdtemp(join(tmpdir(), 'stratus-acm-cli-'))
  t.teardown(() => rm(home, { recursive: true, force: true }))
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, AWS_ACCESS_KEY_ID: KEY.accessKeyId, AWS_SECRET_ACCESS_KEY: KEY.secretAccessKey, AWS_DEFAULT_REGION: 'us-east-1',
    AWS_PAGER: '', AWS_CONFIG_FILE: join(home, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials')
  }
  const aws = async (...args: string[]): Promise<any> => {
    const { stdout } = await exec(AWS_CLI, ['--endpoint-url', `http://${cloud.endpoint}`, '--output', 'json', 'acm', ...args], { env })
    return stdout.trim() === '' ? {} : JSON.parse(stdout)
  }
  const made = await aws('request-certificate', '--domain-name', 'cli.example.com', '--validation-method', 'DNS', '--tags', 'Key=keep,Value=yes')
  t.match(made.CertificateArn, /^arn:aws:acm:us-east-1:000000000000:certificate\//, 'aws acm request-certificate')
  const client = new ACMClient({ ...clientConfig(cloud), credentials: KEY })
  t.teardown(() => client.destroy())
  const shown = (await client.send(new DescribeCertificateCommand({ CertificateArn: made.CertificateArn }))).Certificate!
  t.equal(shown.Status, 'PENDING_VALIDATION', 'the CLI\'s request, described by the SDK')
  t.same((await client.send(new ListTagsForCertificateCommand({ CertificateArn: made.CertificateArn }))).Tags, [{ Key: 'keep', Value: 'yes' }], 'with the CLI\'s tags')
  const refused = await rejection(client.send(new DeleteCertificateCommand({ CertificateArn: made.CertificateArn })))
  t.equal(refused.name, 'AccessDeniedException', 'DeleteCertificate of a tagged certificate: denied by the policy\'s aws:ResourceTag condition')
  const untagged = (await client.send(new RequestCertificateCommand({ DomainName: 'free.example.com' }))).CertificateArn
  await client.send(new DeleteCertificateCommand({ CertificateArn: untagged }))
  t.pass('an untagged one is deleted')
})

t.test('the table against ACM\'s model: operations, required members, exceptions, timestamps', async (t) => {
  const cloud = await simulatedCloud()
  t.teardown(() => cloud.close())
  type Schema = [number, string, string, Record<string, unknown>, string[], unknown[], number?]
  const model = acmModel as unknown as Record<string, Schema | undefined>
  const table = acmTable(cloud.engine.acm, cloud.engine.partition)
  t.ok(cloud.engine.api.tables.some((x) => x.signingName === 'acm'), 'the engine serves the table')
  for (const op of table.operations) {
    const s = model[`${op.name}Request$`]
    t.ok(s !== undefined, `${op.name} is in the model`)
    t.same([...(op.required ?? [])].sort(), s === undefined ? [] : s[4].slice(0, typeof s[6] === 'number' ? s[6] : 0).sort(), `${op.name}: required members`)
  }
  for (const code of [...ACM_EXCEPTIONS]) {
    const wire = acmError(new StratusError('InvalidArgument', code, 'x'))
    const schema = model[`${wire.type}$`]
    t.ok(schema !== undefined && schema[0] === -3, `${code}: an exception of the ACM model`)
  }
  for (const kind of ['InvalidArgument', 'NotFound', 'Conflict', 'LimitExceeded', 'AccessDenied', 'Internal'] as const) {
    const wire = acmError(new StratusError(kind, 'SomeCode', 'x'))
    t.ok(model[`${wire.type}$`] !== undefined, `${kind} → ${wire.type}, in the model`)
  }
  const timestamps = new Set<string>()
  for (const name of ['CertificateDetail$', 'CertificateSummary$', 'RenewalSummary$']) {
    const s = model[name]!
    s[4].forEach((member, at) => { if (s[5][at] === 4) timestamps.add(member) })
  }
  t.same([...timestamps].filter((m) => !ACM_TIMESTAMP_MEMBERS.has(m)), [], 'every timestamp member of the shapes is revived remotely')
})
