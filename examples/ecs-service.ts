// Amazon ECS with the fluent SDK: a cluster, a task definition, a service of
// three real containers kept at its desired count, a command run in one of
// them with ECS Exec, and the same through an interactive session.
//
//   node dist/examples/ecs-service.js      (needs a Docker engine; busybox:1.36 loaded in it)
import { Stratus } from 'stratus'

await using cloud = await Stratus.embedded({ runner: 'docker' })
await using cluster = await cloud.ecs.cluster('web').create()
await using def = await cluster.taskDefinition('app')
  .container('web', { image: 'busybox:1.36', memory: 64, command: ['sh', '-c', 'mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www'] })
  .register()

await using service = await cluster.service('web').taskDefinition(def).desiredCount(3).enableExecuteCommand().create()
const steady = await service.waitSteady()
console.log(`service web: ${steady.runningCount} of ${steady.desiredCount} running`)

// ECS Exec: a command to its end…
const [task] = await service.tasks()
const { output, exitCode } = await task.exec('wget -qO- http://127.0.0.1:8080/; exit 0')
console.log(`exec in ${task.id.slice(0, 8)}: ${output.trim()} (exit ${exitCode})`)

// …or a session: write to its stdin, read its output, wait for its exit code.
const shell = await task.shell('sh')
let seen = ''
shell.output.on('data', (chunk: Buffer) => { seen += chunk.toString() })
shell.write('echo "pid 1 is $(cat /proc/1/comm)"; exit 5\n')
console.log(`session exited ${await shell.exit}: ${seen.trim()}`)
