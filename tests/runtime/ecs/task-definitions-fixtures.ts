// Shared set-up of the task definition tests: an engine on the manual clock
// with the simulated runner, and small definitions. Not a test file.
import { Engine } from '../../../runtime/engine.js'
import type { RegisterTaskDefinitionRequest } from '../../../runtime/ecs/model-task-definitions.js'

export async function engine(): Promise<Engine> {
  return Engine.start({ clock: 'manual', runner: 'simulated' })
}

/** One essential container of 128 MiB (EC2-compatible; not Fargate: bridge, no task size). */
export function ec2Definition(family: string, extra: Partial<RegisterTaskDefinitionRequest> = {}): RegisterTaskDefinitionRequest {
  return { family, containerDefinitions: [{ name: 'app', image: 'busybox', memory: 128 }], ...extra }
}

/** A Fargate definition: awsvpc, task-level cpu and memory, awslogs with a stream prefix. */
export function fargateDefinition(family: string, cpu = '256', memory = '512', extra: Partial<RegisterTaskDefinitionRequest> = {}): RegisterTaskDefinitionRequest {
  return {
    family, networkMode: 'awsvpc', requiresCompatibilities: ['FARGATE'], cpu, memory,
    containerDefinitions: [{
      name: 'app', image: 'busybox',
      logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/app', 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'app' } }
    }],
    ...extra
  }
}
