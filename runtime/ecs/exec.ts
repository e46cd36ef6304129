// ECS Exec: ExecuteCommand and the Stratus-only execCommand. A command runs
// in a container of a RUNNING task started with enableExecuteCommand, through
// the runner that runs the task (found through the task's TaskLauncher row),
// as `/bin/sh -c <command>` (ECS hands the command to the container's shell
// the same way: pipes and `;` work). ExecuteCommand answers a session whose
// stream is a WebSocket on the engine's endpoint (exec-stream.ts: the
// framing; exec-session.ts: the tokens); execCommand runs the command to its
// end and answers its output and exit code.

import type { IncomingMessage } from 'node:http'
import type { WebSocket } from 'ws'
import type { EcsContext } from './context.js'
import type { ExecCaller, ExecCommandRequest, ExecCommandResult, ExecExtensions, ExecOperations, ExecuteCommandRequest, ExecuteCommandResponse } from './model-exec.js'
import type { Runner } from '../runners/runner.js'
import type { UpgradeRefusal, UpgradeRoute } from '../http/websocket.js'
import type { AuditSink, Authenticator } from '../api/security.js'
import type { Principal } from '../iam/principal.js'
import { randomUUID } from 'node:crypto'
import { StratusError } from '../errors.js'
import { arns } from '../aws/arn.js'
import { EcsError, invalidParameter } from './errors.js'
import { TASKS, type TaskRecord } from './records.js'
import { getCluster } from './clusters.js'
import { EXEC_PATH_PREFIX, ExecSessions, type ExecTarget } from './exec-session.js'
import { TOKEN_HEADER, bridge, holdMessages } from './exec-stream.js'

/** ECS's words when a task was not run with execute command enabled (or its agent is not running). */
export const EXEC_NOT_ENABLED = 'The execute command failed because execute command was not enabled when the task was run or the execute command agent isn\'t running. Wait and try again or run a new task with execute command enabled and try again.'

/** The exec sessions of each ECS instance (the engine wires their endpoint and WebSocket route). */
const SESSIONS = new WeakMap<EcsContext, ExecSessions>()

export function execSessionsOf(ctx: EcsContext): ExecSessions {
  let sessions = SESSIONS.get(ctx)
  if (sessions === undefined) {
    sessions = new ExecSessions()
    SESSIONS.set(ctx, sessions)
    const s = sessions
    ctx.closers.push(() => s.close())
  }
  return sessions
}

function requireText(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw invalidParameter(field, `${field} must be a non-empty string`)
  return value
}

/** The task id a `task` member names (its ARN's last segment, or the id itself). */
function taskIdOf(task: string): string {
  return task.startsWith('arn:') ? task.slice(task.lastIndexOf('/') + 1) : task
}

interface Resolved extends Omit<ExecTarget, 'command' | 'principal'> {
  record: TaskRecord
  clusterArn: string
  containerArn?: string
  runId: string
  runner: Runner
}

/** The checks ECS makes before a command runs, in its order; the container and runner to run it in. */
function resolve(ctx: EcsContext, input: { cluster?: string; task?: unknown; container?: unknown }): Resolved {
  const cluster = getCluster(ctx, input.cluster, 'cluster')
  const clusterName = String(cluster.cluster.clusterName)
  const taskId = taskIdOf(requireText(input.task, 'task'))
  const record = ctx.store.get<TaskRecord>(TASKS, taskId)?.value
  if (record === undefined || record.clusterName !== clusterName) {
    throw invalidParameter('task', `The specified task ${taskId.slice(0, 100)} was not found in cluster ${clusterName}.`)
  }
  const task = record.task
  if (task.enableExecuteCommand !== true) throw invalidParameter('task', EXEC_NOT_ENABLED)
  if (task.lastStatus !== 'RUNNING' || record.runId === undefined) {
    throw new EcsError('TargetNotConnectedException', `The execute command failed because the task is ${String(task.lastStatus)}, not RUNNING.`, { field: 'task' })
  }
  const containers = (Array.isArray(task.containers) ? task.containers : []) as Array<Record<string, any>>
  let container: Record<string, any> | undefined
  if (input.container !== undefined) {
    const name = requireText(input.container, 'container')
    container = containers.find((c) => c.name === name)
    if (container === undefined) throw invalidParameter('container', `The container ${name.slice(0, 255)} was not found in task ${taskId}.`)
  } else if (containers.length === 1) {
    container = containers[0]
  } else {
    throw invalidParameter('container', `The task ${taskId} has ${containers.length} containers: name the one to run the command in (container).`)
  }
  if (container.lastStatus !== undefined && container.lastStatus !== 'RUNNING') {
    throw new EcsError('TargetNotConnectedException', `The execute command failed because container ${String(container.name)} is ${String(container.lastStatus)}.`, { field: 'container' })
  }
  const row = ctx.launcher.get(record.runId)
  const runner = row === undefined ? undefined : ctx.runners.get(row.runner)
  if (row === undefined || runner === undefined) {
    throw new EcsError('TargetNotConnectedException', `The execute command failed because task ${taskId} has no live sandbox.`, { field: 'task' })
  }
  // A runner without exec (the simulated and process runners) has no agent to run the command.
  if (!runner.capabilities.exec || runner.execStream === undefined) throw invalidParameter('task', EXEC_NOT_ENABLED)
  return {
    record, clusterName, taskId, clusterArn: arns.ecs.cluster(ctx.partition, clusterName), taskArn: String(task.taskArn),
    containerName: String(container.name), ...(typeof container.containerArn === 'string' ? { containerArn: container.containerArn } : {}),
    runId: record.runId, runner
  }
}

function shell(command: string): string[] {
  return ['/bin/sh', '-c', command]
}

/** What the stream's handshake is checked and recorded with (the engine's IAM and audit trail). */
export interface ExecStreamSecurity {
  /** Who signed the upgrade request: under mode 'iam' it must be signed (SigV4, service ecs) by the session's principal. */
  authenticator?: Authenticator
  /** Each handshake (started or refused) as a CloudTrail record: ssm.amazonaws.com StartSession, as ECS Exec's session start is. */
  audit?: AuditSink
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name]
  return Array.isArray(v) ? v[0] : v
}

/** The upgrade request as SigV4 reads it (a GET: no body). */
function signedUpgrade(req: IncomingMessage) {
  const raw = req.url ?? '/'
  const q = raw.indexOf('?')
  return { method: req.method ?? 'GET', rawPath: q < 0 ? raw : raw.slice(0, q), rawQuery: q < 0 ? '' : raw.slice(q + 1), rawHeaders: req.rawHeaders, body: Buffer.alloc(0) }
}

/**
 * The WebSocket route of the sessions' streams (`/stratus/exec/<sessionId>`).
 * The handshake presents the session's token; under auth 'iam' it is also
 * SigV4-signed and its signer must be the principal that called
 * ExecuteCommand (a token alone does not open another principal's shell).
 */
export function execUpgradeRoute(ctx: EcsContext, security: ExecStreamSecurity = {}): UpgradeRoute {
  const sessions = execSessionsOf(ctx)
  const { authenticator, audit } = security
  const record = (req: IncomingMessage, principal: Principal, params: Record<string, unknown>, outcome: { sessionId: string } | { errorCode: string; errorMessage: string }) => {
    audit?.record({
      time: ctx.clock.now(), eventSource: 'ssm.amazonaws.com', eventName: 'StartSession', region: ctx.partition.region,
      sourceIp: req.socket.remoteAddress ?? '127.0.0.1', userAgent: headerOf(req, 'user-agent') ?? '', principal,
      requestParameters: params, responseElements: 'sessionId' in outcome ? { sessionId: outcome.sessionId } : null,
      ...('errorCode' in outcome ? { errorCode: outcome.errorCode, errorMessage: outcome.errorMessage } : {}),
      requestId: randomUUID(), readOnly: false
    })
  }
  return {
    name: 'ecs-exec',
    matches: (path) => path.startsWith(EXEC_PATH_PREFIX),
    accept(req: IncomingMessage, path: string, query: URLSearchParams): UpgradeRefusal | ((socket: WebSocket) => void) {
      const sessionId = decodeURIComponent(path.slice(EXEC_PATH_PREFIX.length))
      let principal: Principal | undefined
      if (authenticator !== undefined) {
        try {
          principal = authenticator.authenticate(signedUpgrade(req), { service: 'ecs' })
        } catch (error) {
          if (error instanceof StratusError) return { status: 403, type: 'AccessDeniedException', message: `the exec stream's handshake must be SigV4-signed by the principal that called ExecuteCommand: ${error.code}: ${error.message}` }
          throw error
        }
      }
      const taken = sessions.take(sessionId, headerOf(req, TOKEN_HEADER), authenticator?.mode === 'iam' ? principal?.arn : undefined)
      if ('refused' in taken) {
        if (principal !== undefined) record(req, principal, { sessionId: sessionId.slice(0, 100) }, { errorCode: 'AccessDenied', errorMessage: taken.refused })
        return { status: 403, type: 'AccessDeniedException', message: taken.refused }
      }
      if (principal !== undefined) {
        record(req, principal, { target: taken.taskArn, cluster: taken.clusterName, container: taken.containerName, command: taken.command, sessionId: taken.sessionId }, { sessionId: taken.sessionId })
      }
      const tty = query.get('tty') === '1'
      const columns = Number(query.get('columns') ?? 0)
      const rows = Number(query.get('rows') ?? 0)
      return (socket) => {
        const live = { close: () => socket.close(1001, 'the engine is stopping') }
        sessions.live.add(live)
        const held = holdMessages(socket)
        void (async () => {
          try {
            // The task may have stopped between ExecuteCommand and the handshake: checked again.
            const target = resolve(ctx, { cluster: taken.clusterName, task: taken.taskId, container: taken.containerName })
            const exec = await target.runner.execStream!(target.runId, target.containerName, shell(taken.command), { tty })
            if (tty && columns > 0 && rows > 0) await exec.resize?.(columns, rows).catch(() => {})
            await bridge(socket, exec, held.release())
          } catch (error) {
            socket.close(1011, (error instanceof Error ? error.message : String(error)).slice(0, 120))
          } finally {
            sessions.live.delete(live)
          }
        })()
      }
    }
  }
}

export function execOperations(ctx: EcsContext): ExecOperations & ExecExtensions {
  const sessions = execSessionsOf(ctx)
  return {
    async executeCommand(input: ExecuteCommandRequest, caller?: ExecCaller): Promise<ExecuteCommandResponse> {
      const command = requireText(input?.command, 'command')
      if (input.interactive !== true) throw invalidParameter('interactive', 'Interactive is the only mode supported currently.')
      const target = resolve(ctx, input)
      const principal = caller?.principal ?? `arn:${ctx.partition.partition}:iam::${ctx.partition.accountId}:root`
      const session = sessions.open({ clusterName: target.clusterName, taskId: target.taskId, taskArn: target.taskArn, containerName: target.containerName, command, principal })
      return {
        clusterArn: target.clusterArn,
        ...(target.containerArn !== undefined ? { containerArn: target.containerArn } : {}),
        containerName: target.containerName,
        interactive: true,
        session,
        taskArn: target.taskArn
      }
    },

    async execCommand(input: ExecCommandRequest): Promise<ExecCommandResult> {
      const command = requireText(input?.command, 'command')
      const target = resolve(ctx, input)
      return target.runner.exec(target.runId, target.containerName, shell(command))
    }
  }
}
