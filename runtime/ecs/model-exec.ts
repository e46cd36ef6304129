// ECS Exec: ExecuteCommand in AWS's shapes (field for field, from the service
// model @aws-sdk/client-ecs ships), and the Stratus-only call that runs a
// command to its end (the SDK's `task.exec(...)`).

export interface ExecuteCommandRequest {
  /** Name or ARN; absent: `default`. */
  cluster?: string
  /** The container to run in; needed only when the task has more than one. */
  container?: string
  /** The command, run by `/bin/sh -c` in the container. */
  command: string
  /** ECS supports only interactive sessions: must be true. */
  interactive: boolean
  /** The task's ARN or id. */
  task: string
}

export interface ExecSessionShape {
  sessionId?: string
  /** `ws://<engine endpoint>/stratus/exec/<sessionId>` (runtime/ecs/EXEC.md: the framing). */
  streamUrl?: string
  /** Single use, short lived; sent as the `x-stratus-exec-token` header of the WebSocket handshake. */
  tokenValue?: string
}

export interface ExecuteCommandResponse {
  clusterArn?: string
  containerArn?: string
  containerName?: string
  interactive?: boolean
  session?: ExecSessionShape
  taskArn?: string
}

/** Who asked (the wire API's caller): the session is theirs. */
export interface ExecCaller {
  principal?: string
}

export interface ExecOperations {
  executeCommand(input: ExecuteCommandRequest, caller?: ExecCaller): Promise<ExecuteCommandResponse>
}

export interface ExecCommandRequest {
  cluster?: string
  task: string
  container?: string
  command: string
}

export interface ExecCommandResult {
  exitCode: number
  /** stdout and stderr, interleaved. */
  output: string
}

/** Stratus-only calls of this area (not AWS operations). */
export interface ExecExtensions {
  /** Runs a command in a task's container to its end (the same checks as ExecuteCommand). */
  execCommand(input: ExecCommandRequest): Promise<ExecCommandResult>
}

export const EXEC_OPERATION_NAMES = ['executeCommand'] as const
export const EXEC_EXTENSION_NAMES = ['execCommand'] as const
