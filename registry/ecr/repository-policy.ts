import { invalidParameter, RegistryError } from '../errors.js'
import type { EcrContext } from './context.js'

type PolicyResponse = { registryId: string, repositoryName: string, policyText: string }

/**
 * ECR's repository policy operations: the text is stored with the repository's settings;
 * the engine's IAM evaluates it (the `authorize` hook and the ECR API's authorization).
 */
export class RepositoryPolicyApi {
  constructor (private readonly ctx: EcrContext) {}

  async setRepositoryPolicy (input: { repositoryName: string, policyText: string, force?: boolean }): Promise<PolicyResponse> {
    const state = await this.ctx.state(input?.repositoryName)
    const text = input.policyText
    if (typeof text !== 'string' || text.length === 0 || text.length > 10240) throw invalidParameter('policyText', 'must be a JSON policy document', '1..10240 characters')
    let json: unknown
    try { json = JSON.parse(text) } catch (err) { throw invalidParameter('policyText', `is not valid JSON: ${(err as Error).message}`) }
    if (typeof json !== 'object' || json === null || Array.isArray(json) || !('Statement' in json)) {
      throw invalidParameter('policyText', 'must be a policy document object with a Statement')
    }
    await this.ctx.updateMeta(state, { repositoryPolicyText: text })
    return { registryId: this.ctx.accountId, repositoryName: state.name, policyText: text }
  }

  async getRepositoryPolicy (input: { repositoryName: string }): Promise<PolicyResponse> {
    const state = await this.ctx.state(input?.repositoryName)
    const text = state.meta.repositoryPolicyText
    if (text === undefined) {
      throw new RegistryError('RepositoryPolicyNotFoundException', `Repository policy does not exist for the repository with name '${state.name}'`, { kind: 'NotFound' })
    }
    return { registryId: this.ctx.accountId, repositoryName: state.name, policyText: text }
  }

  async deleteRepositoryPolicy (input: { repositoryName: string }): Promise<PolicyResponse> {
    const existing = await this.getRepositoryPolicy(input)
    await this.ctx.updateMeta(await this.ctx.state(input.repositoryName), { repositoryPolicyText: undefined })
    return existing
  }
}
