// The docker runner: Runner v2 over the Docker Engine API (README.md).
export { DockerRunner, type DockerRunnerOptions } from './runner.js'
export { DockerApiError, DockerClient, MAX_API_VERSION, negotiateVersion, type DockerHost, type DockerTls } from './client.js'
export { LOCAL_HOST, RUNNER_NETWORK, type EngineHost } from './hosts.js'
export { HOLDER_IMAGE, pauseProgram } from './holder.js'
export { pullChannel } from './images.js'
export { Demultiplexer } from './logs.js'
export { containerName, LABEL } from './sandbox.js'
export { connectEngine, floorStart, removeLabelled, type FloorContainer } from './bench.js'
