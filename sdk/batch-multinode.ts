// Multi-node parallel job definitions in the SDK:
//
//   cloud.batch.jobDefinition('mpi').vcpus(1).memory(512)
//     .multiNode({ numNodes: 4, mainNode: 0 })
//     .nodeRange('0', (c) => c.image('…').command('server'))
//     .nodeRange('1:', (c) => c.image('…').command('worker'))
//     .register()
//
// Each range's container starts from the container set on the definition
// builder before multiNode(); each call returns a new builder over a frozen spec.

import type { BatchService, RegisterJobDefinitionRequest } from '../runtime/index.js'
import { freeze, type Spec } from './spec.js'
import { ContainerSettingsBuilder, toContainerProperties, type ContainerFields } from './batch-containers.js'
import { registerDefinition, type JobDefinitionHandle, type RetryOptions } from './batch-jobs.js'

/** The container of one range of nodes. */
export class NodeRangeBuilder extends ContainerSettingsBuilder<NodeRangeBuilder> {
  readonly spec: Spec<ContainerFields>

  constructor(spec: ContainerFields) {
    super()
    this.spec = freeze(spec)
  }

  protected get fields(): Spec<ContainerFields> {
    return this.spec
  }

  protected withContainer(change: Partial<ContainerFields>): NodeRangeBuilder {
    return new NodeRangeBuilder({ ...this.spec, ...change })
  }
}

interface MultiNodeSpec {
  name: string
  numNodes: number
  mainNode: number
  /** What every range's container starts from. */
  base: ContainerFields
  ranges: Array<{ targetNodes: string; container: ContainerFields }>
  parameters?: Record<string, string>
  retry?: RetryOptions
  timeout?: number
  tags?: Record<string, string>
}

export class MultiNodeDefinitionBuilder {
  readonly spec: Spec<MultiNodeSpec>
  readonly #batch: BatchService

  constructor(batch: BatchService, spec: MultiNodeSpec) {
    this.#batch = batch
    this.spec = freeze(spec)
  }

  #with(change: Partial<MultiNodeSpec>): MultiNodeDefinitionBuilder {
    return new MultiNodeDefinitionBuilder(this.#batch, { ...this.spec, ...change })
  }

  /** The nodes `targetNodes` names (`0`, `1:`, `:3`, `2:5`, `:`) run the container `configure` builds. */
  nodeRange(targetNodes: string, configure: (container: NodeRangeBuilder) => NodeRangeBuilder = (c) => c): MultiNodeDefinitionBuilder {
    const container = configure(new NodeRangeBuilder(structuredClone(this.spec.base) as ContainerFields)).spec
    return this.#with({ ranges: [...this.spec.ranges, { targetNodes, container: structuredClone(container) as ContainerFields }] })
  }

  parameters(parameters: Record<string, string>): MultiNodeDefinitionBuilder { return this.#with({ parameters: { ...this.spec.parameters, ...parameters } }) }
  /** The retry strategy of the whole job: a failure of its main node starts a new attempt of every node. */
  retry(retry: RetryOptions): MultiNodeDefinitionBuilder { return this.#with({ retry }) }
  /** attemptDurationSeconds of the whole job (at least 60). */
  timeout(seconds: number): MultiNodeDefinitionBuilder { return this.#with({ timeout: seconds }) }
  tags(tags: Record<string, string>): MultiNodeDefinitionBuilder { return this.#with({ tags: { ...this.spec.tags, ...tags } }) }

  /** The RegisterJobDefinition request this builder stands for. */
  toInput(): RegisterJobDefinitionRequest {
    const s = this.spec
    return {
      jobDefinitionName: s.name,
      type: 'multinode',
      ...(s.parameters ? { parameters: { ...s.parameters } } : {}),
      nodeProperties: {
        numNodes: s.numNodes,
        mainNode: s.mainNode,
        nodeRangeProperties: s.ranges.map((r) => ({ targetNodes: r.targetNodes, container: toContainerProperties(r.container) }))
      },
      ...(s.retry ? { retryStrategy: structuredClone(s.retry) as RetryOptions } : {}),
      ...(s.timeout !== undefined ? { timeout: { attemptDurationSeconds: s.timeout } } : {}),
      ...(s.tags ? { tags: { ...s.tags } } : {})
    }
  }

  async register(): Promise<JobDefinitionHandle> {
    return registerDefinition(this.#batch, this.toInput())
  }
}
