import type { Clock } from '../clock.js'
import type { Distribution } from '../content/distribution.js'
import type { RepositoryMeta, RepositoryState } from '../content/repository.js'

/** What the ECR operations need from the registry. */
export interface EcrContext {
  readonly accountId: string
  readonly clock: Clock
  readonly distribution: Distribution
  /** The repository named by an input, or RepositoryNotFoundException / InvalidParameterException. */
  state (repositoryName: unknown): Promise<RepositoryState>
  /** Changes and persists a repository's settings. */
  updateMeta (state: RepositoryState, change: Partial<RepositoryMeta>): Promise<RepositoryMeta>
}
